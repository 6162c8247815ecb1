import { describe, expect, it } from "vitest";
import { csvField, csvResponse, prefersCsv, toCsv } from "../../../src/http/csv";

describe("csvField (RFC 4180)", () => {
  it.each([
    ["plain text", "teams", "teams"],
    ["a number", 0.15, "0.15"],
    ["a boolean", true, "true"],
    ["null", null, ""],
    ["undefined", undefined, ""],
    ["a comma", "Contoso, Ltd", '"Contoso, Ltd"'],
    ["a double quote", 'say "hi"', '"say ""hi"""'],
    ["a line feed", "two\nlines", '"two\nlines"'],
    ["a carriage return", "a\rb", '"a\rb"'],
    ["spaces only", "  padded  ", "  padded  "],
  ])("writes %s", (_what, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe("toCsv", () => {
  const columns = [
    { header: "workload", value: (r: { w: string; n: number }) => r.w },
    { header: "amount", value: (r: { w: string; n: number }) => r.n },
  ];

  it("writes a header row and one CRLF-ended record per row", () => {
    expect(
      toCsv(columns, [
        { w: "teams", n: 4000 },
        { w: "a,b", n: 1.5 },
      ]),
    ).toBe('workload,amount\r\nteams,4000\r\n"a,b",1.5\r\n');
  });

  it("writes the header alone when there are no rows", () => {
    expect(toCsv(columns, [])).toBe("workload,amount\r\n");
  });
});

describe("prefersCsv", () => {
  it.each([
    [null, false],
    ["", false],
    ["*/*", false],
    ["application/json", false],
    ["text/csv", true],
    ["Text/CSV; charset=utf-8", true],
    ["text/csv, application/json", false],
    ["application/json;q=0.5, text/csv", true],
    ["text/csv;q=0", false],
    ["text/csv;q=0.9, application/json;q=0.8", true],
  ])("Accept %j → %s", (accept, expected) => {
    expect(prefersCsv(accept)).toBe(expected);
  });
});

describe("csvResponse", () => {
  it("answers text/csv as a download, varying on Accept", () => {
    expect(csvResponse("a\r\n", 'usage "x".csv')).toEqual({
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8; header=present",
        "content-disposition": 'attachment; filename="usage _x_.csv"',
        vary: "Accept",
      },
      body: "a\r\n",
    });
  });
});
