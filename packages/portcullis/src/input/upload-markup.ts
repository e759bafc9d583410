/**
 * V5, polyglots: a file can be a valid PNG or PDF and, read from the start, also look like HTML or
 * script to a content-sniffing client (old browsers, some proxies and viewers that ignore
 * `X-Content-Type-Options`). We refuse any upload whose leading bytes carry such markers, and rely
 * on `Content-Disposition: attachment`, `nosniff` and a sandboxing CSP for anything deeper in the
 * file. The window is the WHATWG MIME Sniffing standard's resource header (1445 bytes), which is
 * as far as a sniffer reads.
 */

/** How many leading bytes a sniffing client reads, and so how many we inspect. */
export const SNIFFED_BYTES = 1445;

/**
 * Tag openings the HTML sniffing signatures name, plus the script-bearing ones (svg, img, object,
 * embed, meta, link, base, form) and markers of script in any document: each must be followed by
 * whitespace, `>` or `/` to count, so arbitrary binary is rarely caught by accident. Server-side
 * template openings count too, for a file that a misconfigured server might execute: `<?php` and
 * `<?=` (PHP), and an ASP/JSP block `<% ... %>` (both delimiters: `<%` alone is two bytes, which
 * compressed image data holds by chance far too often). `<?xml` also covers `<?xml-stylesheet`.
 */
const MARKUP =
  /<(?:!doctype[\t\n\f\r ]+html|html|head|body|script|iframe|frame|frameset|h1|div|font|table|a|style|title|b|br|p|svg|img|object|embed|meta|link|base|form|math|xml)[\t\n\f\r />]|<\?xml|<\?php|<\?=|<%[\s\S]*?%>|<!--|javascript:|vbscript:/;

/**
 * The window as a sniffer may read it: bytes as latin1 (one character per byte, so a marker split
 * by nothing is found as written), and as UTF-16 little- and big-endian from both byte alignments,
 * since a UTF-16 BOM makes a sniffer decode `<\0h\0t\0m\0l\0` as `<html`.
 */
function readings(window: Buffer): string[] {
  const texts = [window.toString('latin1')];
  for (const start of [0, 1]) {
    const aligned = window.subarray(start, start + ((window.length - start) & ~1));
    texts.push(aligned.toString('utf16le'), Buffer.from(aligned).swap16().toString('utf16le'));
  }
  return texts;
}

/**
 * Whether the first bytes of a file would also read as HTML, XML, script or a server-side template
 * to a sniffer, in a single-byte encoding or in UTF-16.
 *
 * @example
 * carriesMarkup(Buffer.from('GIF89a<script>alert(1)</script>')); // true
 */
export function carriesMarkup(head: Uint8Array): boolean {
  const window = head.subarray(0, SNIFFED_BYTES);
  return readings(Buffer.from(window.buffer, window.byteOffset, window.byteLength)).some((text) => MARKUP.test(text.toLowerCase()));
}
