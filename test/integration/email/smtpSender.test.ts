import { afterEach, describe, expect, it } from "vitest";
import { NonRetriableError, TransientDependencyError } from "../../../src/domain/errors";
import type { EmailMessage } from "../../../src/integrations/email/emailSender";
import { SmtpEmailSender } from "../../../src/integrations/email/smtpSender";
import {
  multipartParts,
  parseMessage,
  startFakeSmtpServer,
  type FakeSmtpOptions,
  type FakeSmtpServer,
} from "../../fixtures/fakeSmtpServer";

const message: EmailMessage = {
  from: "no-reply@partner-of-record.test",
  to: "megan@contoso.com",
  replyTo: "consent+abc.def@partner-of-record.test",
  subject: "Fabrikam claims to be your partner of record",
  text: "Fabrikam says it works with you on Teams.\nReply REFUSE to refuse.",
  html: "<p>Fabrikam says it works with you on <b>Teams</b>.</p>",
};

let server: FakeSmtpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function senderFor(options: FakeSmtpOptions = {}, credentials?: { user: string; password: string }) {
  server = await startFakeSmtpServer(options);
  return new SmtpEmailSender({
    host: "127.0.0.1",
    port: server.port,
    user: credentials?.user,
    password: credentials?.password,
    timeoutMs: 5_000,
  });
}

describe("SmtpEmailSender against a loopback SMTP server", () => {
  it("sends one multipart/alternative message with text and HTML, and returns its Message-ID", async () => {
    const sender = await senderFor();
    const { providerMessageId } = await sender.send(message);

    expect(server?.messages).toHaveLength(1);
    const captured = server!.messages[0]!;
    expect(captured.mailFrom).toBe(message.from);
    expect(captured.rcptTo).toEqual([message.to]);
    expect(captured.auth).toBeUndefined();

    const { headers, body } = parseMessage(captured.data);
    expect(headers.get("subject")).toBe(message.subject);
    expect(headers.get("from")).toBe(message.from);
    expect(headers.get("to")).toBe(message.to);
    expect(headers.get("reply-to")).toBe(message.replyTo);
    expect(headers.get("message-id")).toBe(providerMessageId);
    expect(providerMessageId).toMatch(/^<.+@.+>$/);

    const contentType = headers.get("content-type") ?? "";
    expect(contentType).toMatch(/^multipart\/alternative;/);
    const parts = multipartParts(contentType, body);
    const text = parts.find((p) => p.headers.get("content-type")?.startsWith("text/plain"));
    const html = parts.find((p) => p.headers.get("content-type")?.startsWith("text/html"));
    expect(text?.body.replace(/\r\n/g, "\n").trim()).toBe(message.text);
    expect(html?.body.trim()).toBe(message.html);
  });

  it("authenticates with the configured user and password", async () => {
    const credentials = { user: "relay-user", password: "s3cret-pass" };
    const sender = await senderFor({ credentials }, credentials);
    await sender.send(message);
    expect(server?.messages[0]?.auth).toEqual(credentials);
  });

  it("treats rejected credentials as permanent", async () => {
    const sender = await senderFor(
      { credentials: { user: "relay-user", password: "right" } },
      {
        user: "relay-user",
        password: "wrong",
      },
    );
    await expect(sender.send(message)).rejects.toBeInstanceOf(NonRetriableError);
    expect(server?.messages).toHaveLength(0);
  });

  it("treats a 5xx recipient rejection as permanent", async () => {
    const sender = await senderFor({ reject: { command: "RCPT", reply: "550 5.1.1 No such user" } });
    const error = await sender.send(message).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toMatch(/SMTP send failed/);
  });

  it("treats a 4xx reply as transient", async () => {
    const sender = await senderFor({ reject: { command: "MAIL", reply: "451 4.3.0 Try again later" } });
    await expect(sender.send(message)).rejects.toBeInstanceOf(TransientDependencyError);
  });

  it("treats an unreachable server as transient", async () => {
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    const sender = new SmtpEmailSender({
      host: "127.0.0.1",
      port: 9,
      user: undefined,
      password: undefined,
      timeoutMs: 2_000,
    });
    await expect(sender.send(message)).rejects.toBeInstanceOf(TransientDependencyError);
  });
});
