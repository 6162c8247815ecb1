import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from "pdf-lib";
import type { PoeTemplate } from "../../domain/poeTemplate";

/**
 * Renders the proof-of-execution template (src/domain/poeTemplate.ts) as an A4 PDF with pdf-lib:
 * Helvetica, the text wrapped to the page and continued on new pages, blank rows drawn as lines to
 * sign on. The standard fonts encode WinAnsi (Latin-1 and a few more): a character they cannot show
 * becomes "?", so an unusual name never stops the document.
 */
const a4 = { width: 595.28, height: 841.89 };
const margin = 56;
const size = { title: 16, subtitle: 10, heading: 12, text: 10 };
const lineGap = 4;
const labelWidth = 140;

export async function renderPoeTemplatePdf(template: PoeTemplate): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(template.title);
  doc.setSubject(template.subtitle);
  doc.setProducer("partner-of-record");
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const writer = new Writer(doc, regular, bold);
  writer.line(template.title, { font: bold, size: size.title });
  writer.line(template.subtitle, { size: size.subtitle, color: 0.35 });
  for (const section of template.sections) {
    writer.space(14);
    writer.line(section.heading, { font: bold, size: size.heading });
    writer.space(2);
    for (const paragraph of section.paragraphs ?? []) writer.paragraph(paragraph);
    for (const [label, value] of section.rows ?? []) writer.row(label, value);
  }
  return doc.save();
}

interface LineStyle {
  font?: PDFFont;
  size?: number;
  color?: number;
  x?: number;
}

/** Writes down the page, starting a new page when the next line would not fit. */
class Writer {
  private page: PDFPage;
  private y: number;

  constructor(
    private readonly doc: PDFDocument,
    private readonly regular: PDFFont,
    private readonly bold: PDFFont,
  ) {
    this.page = doc.addPage([a4.width, a4.height]);
    this.y = a4.height - margin;
  }

  space(points: number): void {
    this.y -= points;
  }

  line(text: string, style: LineStyle = {}): void {
    const font = style.font ?? this.regular;
    const fontSize = style.size ?? size.text;
    const x = style.x ?? margin;
    for (const piece of wrap(safe(font, text), font, fontSize, a4.width - margin - x)) {
      this.advance(fontSize + lineGap);
      const shade = style.color ?? 0;
      this.page.drawText(piece, { x, y: this.y, size: fontSize, font, color: rgb(shade, shade, shade) });
    }
  }

  paragraph(text: string): void {
    this.line(text);
    this.space(4);
  }

  /** A label and its value; an empty value is a line to write on. */
  row(label: string, value: string): void {
    this.advance(size.text + lineGap + (value ? 0 : 10));
    const top = this.y;
    this.page.drawText(safe(this.bold, label), { x: margin, y: top, size: size.text, font: this.bold });
    if (!value) {
      this.page.drawLine({
        start: { x: margin + labelWidth, y: top - 2 },
        end: { x: a4.width - margin, y: top - 2 },
        thickness: 0.6,
        color: rgb(0.3, 0.3, 0.3),
      });
      return;
    }
    this.y += size.text + lineGap; // the value's first line sits beside the label
    this.line(value, { x: margin + labelWidth });
  }

  private advance(points: number): void {
    if (this.y - points < margin) {
      this.page = this.doc.addPage([a4.width, a4.height]);
      this.y = a4.height - margin;
    }
    this.y -= points;
  }
}

/** The text with every character the font cannot encode replaced by "?". */
function safe(font: PDFFont, text: string): string {
  let out = "";
  for (const ch of text.replace(/[\r\n\t]+/g, " ")) {
    try {
      font.encodeText(ch);
      out += ch;
    } catch {
      out += "?";
    }
  }
  return out;
}

/** Greedy word wrap to `width` points; a word longer than the line is cut. */
function wrap(text: string, font: PDFFont, fontSize: number, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/ +/)) {
    const candidate = current ? `${current} ${word}` : word;
    if (font.widthOfTextAtSize(candidate, fontSize) <= width) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = word;
    while (font.widthOfTextAtSize(current, fontSize) > width && current.length > 1) {
      let cut = current.length - 1;
      while (cut > 1 && font.widthOfTextAtSize(current.slice(0, cut), fontSize) > width) cut--;
      lines.push(current.slice(0, cut));
      current = current.slice(cut);
    }
  }
  if (current || lines.length === 0) lines.push(current);
  return lines;
}
