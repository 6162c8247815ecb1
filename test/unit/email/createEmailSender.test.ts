import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/domain/errors";
import { AcsEmailSender } from "../../../src/integrations/email/acsSender";
import { createEmailSender } from "../../../src/integrations/email/createEmailSender";
import { OutboxEmailSender } from "../../../src/integrations/email/outboxSender";
import { SmtpEmailSender } from "../../../src/integrations/email/smtpSender";

const from = "no-reply@partner-of-record.test";
const acsConnectionString = "endpoint=https://por-mail.communication.azure.com/;accesskey=c2VjcmV0LWtleQ==";

describe("createEmailSender", () => {
  it("picks the adapter EMAIL_TRANSPORT names, without touching the network", () => {
    expect(createEmailSender({ from, transport: "outbox" })).toBeInstanceOf(OutboxEmailSender);
    expect(
      createEmailSender({
        from,
        transport: "smtp",
        host: "127.0.0.1",
        port: 2525,
        user: undefined,
        password: undefined,
      }),
    ).toBeInstanceOf(SmtpEmailSender);
    const acs = createEmailSender({ from, transport: "acs", connectionString: acsConnectionString });
    expect(acs).toBeInstanceOf(AcsEmailSender);
    expect(acs.transport).toBe("acs");
  });

  it.each([
    ["garbage", "not-a-connection-string"],
    ["no access key", "endpoint=https://por-mail.communication.azure.com/"],
    ["no endpoint", "accesskey=c2VjcmV0"],
    ["plain http endpoint", "endpoint=http://por-mail.communication.azure.com/;accesskey=c2VjcmV0"],
    ["empty", ""],
  ])(
    "rejects a bad ACS connection string (%s) naming the variable, not the key",
    (_case, connectionString) => {
      const attempt = () => createEmailSender({ from, transport: "acs", connectionString });
      expect(attempt).toThrow(ValidationError);
      expect(attempt).toThrow(/^ACS_CONNECTION_STRING: must be endpoint=https:\/\//);
      try {
        attempt();
      } catch (err) {
        expect((err as Error).message).not.toContain("c2VjcmV0");
      }
    },
  );

  it("rejects an SMTP transport without a host", () => {
    expect(() =>
      createEmailSender({
        from,
        transport: "smtp",
        host: "",
        port: 587,
        user: undefined,
        password: undefined,
      }),
    ).toThrow(/SMTP_HOST/);
  });
});

describe("OutboxEmailSender", () => {
  it("records nothing more than the outbox row and answers a synthetic message ID", async () => {
    const sender = new OutboxEmailSender();
    const message = { from, to: "megan@contoso.com", subject: "s", text: "t", html: "<p>h</p>" };
    const first = await sender.send(message);
    const second = await sender.send(message);
    expect(first.providerMessageId).toMatch(/^outbox:[0-9a-f-]{36}$/);
    expect(second.providerMessageId).not.toBe(first.providerMessageId);
  });
});
