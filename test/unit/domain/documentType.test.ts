import { describe, expect, it } from "vitest";
import { documentTypeOfContent, documentTypeOfName, mediaTypeOfName } from "../../../src/domain/documentType";
import { docxEntries, zipOf } from "./zipFixture";

const pdf = Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "latin1");
const png = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const docx = zipOf(docxEntries);
const exe = Buffer.from(
  "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xffThis program cannot be run",
  "latin1",
);

describe("documentTypeOfContent: the type the bytes show, by their magic numbers", () => {
  it.each<[string, Buffer, string]>([
    ["a PDF", pdf, "pdf"],
    ["a PNG", png, "png"],
    ["a JPEG", jpeg, "jpeg"],
    ["a Word document", docx, "docx"],
    ["a Word document written with data descriptors", zipOf(docxEntries, { dataDescriptors: true }), "docx"],
    ["a Word document whose entries come in another order", zipOf([...docxEntries].reverse()), "docx"],
  ])("recognises %s", (_case, bytes, type) => {
    expect(documentTypeOfContent(bytes)).toBe(type);
  });

  it.each<[string, Uint8Array]>([
    ["a Windows program", exe],
    ["random bytes", Buffer.from("3q2+78r+ur7v3q2+", "base64")],
    ["nothing", new Uint8Array()],
    ["text that merely mentions PDF", Buffer.from("this is a PDF, trust me")],
    ["a PDF header cut short", Buffer.from("%PDF")],
    ["a PNG signature cut short", png.subarray(0, 4)],
    ["a JPEG's first two bytes alone", jpeg.subarray(0, 2)],
    ["a ZIP of other files", zipOf(["notes.txt", "photo.jpg"])],
    ["an Excel workbook", zipOf(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"])],
    ["a ZIP with word/ but no [Content_Types].xml", zipOf(["_rels/.rels", "word/document.xml"])],
    ["a Word document cut short (no central directory)", docx.subarray(0, docx.length - 60)],
    ["a ZIP local header alone", docx.subarray(0, 30)],
    ["a Word document behind other bytes", Buffer.concat([Buffer.from("junk"), docx])],
  ])("does not recognise %s", (_case, bytes) => {
    expect(documentTypeOfContent(bytes)).toBeUndefined();
  });

  it("does not trust an end record whose directory lies outside the file", () => {
    const lying = Buffer.from(docx);
    lying.writeUInt32LE(0xfffffff0, lying.length - 6);
    expect(documentTypeOfContent(lying)).toBeUndefined();
  });
});

describe("documentTypeOfName: the type a file name's extension promises", () => {
  it.each([
    ["statement-of-work.pdf", "pdf"],
    ["SOW.PDF", "pdf"],
    ["signed sow.v2.docx", "docx"],
    ["scan.png", "png"],
    ["scan.jpg", "jpeg"],
    ["scan.JPEG", "jpeg"],
  ])("%s → %s", (name, type) => {
    expect(documentTypeOfName(name)).toBe(type);
  });

  it.each([
    "setup.exe",
    "sow.pdf.exe",
    "sow",
    "pdf",
    "sow.",
    "sow.doc",
    "constructor",
    "x.constructor",
    "x.__proto__",
    "__proto__",
    "x.toString",
    "x.hasOwnProperty",
    "x.valueOf",
  ])("%s → none", (name) => {
    expect(documentTypeOfName(name)).toBeUndefined();
  });
});

describe("mediaTypeOfName: the Content-Type a stored document is served with", () => {
  it.each([
    ["sow.pdf", "application/pdf"],
    ["sow.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ["scan.png", "image/png"],
    ["scan.jpg", "image/jpeg"],
    ["scan.jpeg", "image/jpeg"],
    // Names that are members of every plain object must not find Object.prototype.
    ["constructor", "application/octet-stream"],
    ["x.__proto__", "application/octet-stream"],
    ["x.toString", "application/octet-stream"],
    ["setup.exe", "application/octet-stream"],
  ])("%s → %s", (name, mediaType) => {
    expect(mediaTypeOfName(name)).toBe(mediaType);
  });
});
