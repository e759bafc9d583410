import sanitizeHtml from 'sanitize-html';

/**
 * V4: rich text as a small allowlist of HTML, rebuilt by sanitize-html (2.17.5, the last line that
 * runs on Node 20) from what its parser understood, so nothing the allowlist does not name can
 * survive: unknown tags are dropped (their text kept, escaped), the content of script-like and
 * foreign-content elements (script, style, iframe, object, svg, math, template, ...) is dropped
 * whole, comments, CDATA and processing instructions vanish, and every text node and attribute
 * value is re-escaped. The only attributes are `href` and `title` on links; every link gets
 * `rel="noopener noreferrer"`, and an `href` survives only when the WHATWG URL parser (what a
 * browser runs) reads it as an absolute http, https or mailto URL without credentials; it is then
 * written back in the parser's normalised form, so entity-encoded, tab-split or
 * protocol-relative tricks are judged exactly as a browser would read them.
 */

/** The tags rich text may use: paragraphs, emphasis, code, quotes, lists, links and headings h2-h4. */
export const RICH_TEXT_TAGS: readonly string[] = Object.freeze([
  'p', 'br', 'strong', 'em', 'b', 'i', 'u', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h2', 'h3', 'h4',
]);

/** Every attribute that may survive, by tag. */
export const RICH_TEXT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = Object.freeze({ a: Object.freeze(['href', 'title', 'rel']) });

/** URL schemes a link may carry, as `URL.protocol` spells them. */
export const RICH_TEXT_SCHEMES: readonly string[] = Object.freeze(['http:', 'https:', 'mailto:']);

/** The `rel` every link gets: the target page gets no `window.opener` and no Referer. */
export const RICH_TEXT_LINK_REL = 'noopener noreferrer';

/** Tags nested deeper than this are dropped (their text kept): no unbounded trees. */
export const RICH_TEXT_MAX_NESTING = 20;

const MAX_HREF_LENGTH = 2048;
const MAX_TITLE_LENGTH = 300;
const SCHEMES = new Set(RICH_TEXT_SCHEMES);

/**
 * Elements whose content is dropped with them. Script-like and raw-text ones would otherwise leak
 * their source as text; foreign content (svg, math) and templates parse differently in a browser
 * than here, which is what mutation XSS feeds on, so none of their content is kept.
 */
const DROPPED_WITH_CONTENT: readonly string[] = [
  'script', 'style', 'template', 'noscript', 'noembed', 'noframes', 'xmp', 'plaintext', 'textarea', 'title',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'select', 'option', 'head',
];

/** NUL and the other C0 controls a browser ignores or replaces (tab, LF, CR and FF stay). */
const STRAY_CONTROLS = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/g;

/**
 * Misnested markup (`<p><button><p>`) comes out with one structure and re-parses with another;
 * sanitising again until nothing changes stores what any later parser will read. Every pass is
 * already safe, so the bound only caps the work.
 */
const MAX_PASSES = 4;

/** The normalised `href` when it is an absolute http, https or mailto URL without credentials; otherwise undefined. */
function safeHref(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length > MAX_HREF_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (!SCHEMES.has(url.protocol)) return undefined;
  // `https://bank.example@evil.example` reads as the bank to a person and goes to evil.example.
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}

function guardLink(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const href = safeHref(attribs['href']);
  const title = attribs['title'];
  return {
    tagName,
    attribs: {
      ...(href === undefined ? {} : { href }),
      ...(title === undefined || title === '' ? {} : { title: title.slice(0, MAX_TITLE_LENGTH) }),
      rel: RICH_TEXT_LINK_REL,
    },
  };
}

const OPTIONS: sanitizeHtml.IOptions = Object.freeze({
  allowedTags: [...RICH_TEXT_TAGS],
  allowedAttributes: { a: [...(RICH_TEXT_ATTRIBUTES['a'] ?? [])] },
  allowedClasses: {},
  allowedSchemes: RICH_TEXT_SCHEMES.map((scheme) => scheme.slice(0, -1)),
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  allowedEmptyAttributes: [],
  allowVulnerableTags: false,
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT as string[],
  selfClosing: ['br'],
  nestingLimit: RICH_TEXT_MAX_NESTING,
  parseStyleAttributes: false,
  enforceHtmlBoundary: false,
  transformTags: { a: guardLink },
  parser: { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
});

/**
 * Returns `html` reduced to the rich-text allowlist (see the module header). The result can be
 * longer than the input (text is re-escaped, links gain `rel`), so cap its length after this call
 * as well as before. Sanitising its own output returns it unchanged: the work repeats until the
 * output is stable (at most four passes; well-formed input settles in one).
 *
 * @example
 * sanitizeRichText('<p onclick="x()">Hi <a href="javascript:alert(1)">there</a><script>alert(1)</script></p>');
 * // '<p>Hi <a rel="noopener noreferrer">there</a></p>'
 */
export function sanitizeRichText(html: string): string {
  let output = html;
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    // Controls are removed on the way out too: character references such as `&#1` decode to them.
    const next = sanitizeHtml(output.replace(STRAY_CONTROLS, ''), OPTIONS).replace(STRAY_CONTROLS, '');
    if (next === output) break;
    output = next;
  }
  return output;
}
