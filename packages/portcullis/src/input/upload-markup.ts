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
 * whitespace, `>` or `/` to count, so arbitrary binary is rarely caught by accident.
 */
const MARKUP =
  /<(?:!doctype[\t\n\f\r ]+html|html|head|body|script|iframe|frame|frameset|h1|div|font|table|a|style|title|b|br|p|svg|img|object|embed|meta|link|base|form|math|xml)[\t\n\f\r />]|<\?xml|<!--|javascript:|vbscript:/;

/**
 * Whether the first bytes of a file would also read as HTML, XML or script to a sniffer.
 *
 * @example
 * carriesMarkup(Buffer.from('GIF89a<script>alert(1)</script>')); // true
 */
export function carriesMarkup(head: Uint8Array): boolean {
  const window = head.subarray(0, SNIFFED_BYTES);
  // latin1 maps each byte to one character, so a marker split by nothing is found as written.
  return MARKUP.test(Buffer.from(window.buffer, window.byteOffset, window.byteLength).toString('latin1').toLowerCase());
}
