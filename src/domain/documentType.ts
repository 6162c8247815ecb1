/**
 * The document types a proof of execution may be: what Microsoft's reviewers open (a signed PDF, a
 * Word document, a scan or photo). A type is known twice, from the file name's extension and from the
 * content's magic bytes, and the two must agree: a name alone proves nothing about the bytes.
 * A name is looked up in a Map, so `constructor` or `x.__proto__` finds nothing (in a plain object
 * they find Object.prototype's members).
 */
export type DocumentType = "pdf" | "docx" | "png" | "jpeg";

/** The one table looked up with outside input: a Map, so only these keys exist. */
const byExtension: ReadonlyMap<string, DocumentType> = new Map([
  ["pdf", "pdf"],
  ["docx", "docx"],
  ["png", "png"],
  ["jpg", "jpeg"],
  ["jpeg", "jpeg"],
]);

/** The extensions accepted, as a partner would write them. */
export const documentExtensions = [...byExtension.keys()].map((ext) => `.${ext}`);

const mediaTypes: Readonly<Record<DocumentType, string>> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  png: "image/png",
  jpeg: "image/jpeg",
};

/** How a type reads in a message. */
export const documentTypeNames: Readonly<Record<DocumentType, string>> = {
  pdf: "a PDF",
  docx: "a Word document",
  png: "a PNG image",
  jpeg: "a JPEG image",
};

/** The type a file name's extension (after its last dot, any case) promises; undefined when none. */
export function documentTypeOfName(name: string): DocumentType | undefined {
  const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : byExtension.get(extension);
}

/** The Content-Type to store and serve a document with, by its name; unknown → octet-stream. */
export function mediaTypeOfName(name: string): string {
  const type = documentTypeOfName(name);
  return type === undefined ? "application/octet-stream" : mediaTypes[type];
}

/**
 * The type the content's leading bytes show; undefined for anything else. A ZIP counts as a Word
 * document only when its directory lists `[Content_Types].xml` and a `word/` entry, as every .docx
 * does (an .xlsx or a plain archive does not).
 */
export function documentTypeOfContent(bytes: Uint8Array): DocumentType | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return "pdf"; // %PDF-
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) && isWordArchive(zipEntryNames(bytes))) return "docx";
  return undefined;
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

function isWordArchive(names: readonly string[]): boolean {
  return names.includes("[Content_Types].xml") && names.some((name) => name.startsWith("word/"));
}

/**
 * The entry names a ZIP's central directory lists; empty when the archive is cut short or its
 * records point outside it. The central directory is read rather than the local headers because
 * streaming writers put zero sizes in a local header (general-purpose flag bit 3), which leaves no
 * way to step to the next one without inflating the data.
 */
function zipEntryNames(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = endOfCentralDirectory(view);
  if (end === undefined) return [];
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== 0x02014b50) return [];
    const nameLength = view.getUint16(at + 28, true);
    const next = at + 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (next > end) return [];
    names.push(decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)));
    at = next;
  }
  return names;
}

/** The offset of the end-of-central-directory record: 22 bytes, then a comment of up to 64 KiB. */
function endOfCentralDirectory(view: DataView): number | undefined {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === 0x06054b50) return at;
  }
  return undefined;
}
