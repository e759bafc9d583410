import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultTreeAdapter, html, parse, parseFragment, serialize, type DefaultTreeAdapterTypes } from 'parse5';
import { RICH_TEXT_ATTRIBUTES, RICH_TEXT_LINK_REL, RICH_TEXT_SCHEMES, RICH_TEXT_TAGS, sanitizeRichText } from './html-sanitiser.js';
import { XSS_VECTORS } from './html-sanitiser.xss-corpus.test-helpers.js';

// V4, mutation XSS. sanitize-html parses with htmlparser2, which does not run the HTML5 tree
// construction a browser runs; what the two disagree on is where mutation XSS lives. So every
// output is parsed again here with parse5 (spec-compliant, what jsdom runs), as a browser would for
// `div.innerHTML = output` and for a served page, and the tree the browser would build is walked.

type Parse5Node = DefaultTreeAdapterTypes.ChildNode;

const TAGS = new Set(RICH_TEXT_TAGS);
const SCHEMES = new Set(RICH_TEXT_SCHEMES);
const adapter = defaultTreeAdapter;

/** What `div.innerHTML = markup` builds: fragment parsing with a <div> as context (parse5's default context is <template>). */
function parseIntoDiv(markup: string): DefaultTreeAdapterTypes.DocumentFragment {
  return parseFragment(adapter.createElement('div', html.NS.HTML, []), markup, {});
}

/** A compact picture of a parse5 tree for failure messages: namespaces other than HTML are spelled out. */
function describeTree(nodes: readonly Parse5Node[]): string {
  return nodes
    .map((node) => {
      if (adapter.isTextNode(node)) return JSON.stringify(node.value);
      if (adapter.isCommentNode(node)) return `<!--${node.data}-->`;
      if (!adapter.isElementNode(node)) return `#${node.nodeName}`;
      const prefix = node.namespaceURI === html.NS.HTML ? '' : `{${node.namespaceURI}}`;
      const attributes = node.attrs.map((attribute) => ` ${attribute.prefix === undefined ? '' : `${attribute.prefix}:`}${attribute.name}=${JSON.stringify(attribute.value)}`).join('');
      const content = node.nodeName === 'template' ? adapter.getTemplateContent(node as DefaultTreeAdapterTypes.Template).childNodes : [];
      return `<${prefix}${node.tagName}${attributes}>${describeTree([...content, ...node.childNodes])}</${node.tagName}>`;
    })
    .join('');
}

interface TreeRules {
  /** Text the author wrote escaped (`&lt;script&gt;`) is text and stays text; only then may a text node read `<script`. */
  readonly scriptTextAllowed: boolean;
}

/** Everything in a browser's tree that is off the allowlist or could become markup again, as findings (empty when safe). */
function treeFindings(nodes: readonly Parse5Node[], rules: TreeRules): string[] {
  const found: string[] = [];
  const walk = (children: readonly Parse5Node[]): void => {
    for (const node of children) {
      if (adapter.isTextNode(node)) {
        if (!rules.scriptTextAllowed && /<script/i.test(node.value)) found.push(`text that reads as markup: ${JSON.stringify(node.value)}`);
        continue;
      }
      if (!adapter.isElementNode(node)) {
        found.push(`a ${node.nodeName} node`);
        continue;
      }
      if (node.namespaceURI !== html.NS.HTML) found.push(`<${node.tagName}> in namespace ${node.namespaceURI}`);
      if (!TAGS.has(node.tagName)) found.push(`tag <${node.tagName}>`);
      if (node.nodeName === 'template') found.push('template content');
      const allowed = new Set(RICH_TEXT_ATTRIBUTES[node.tagName] ?? []);
      for (const attribute of node.attrs) {
        const name = attribute.name;
        if (attribute.namespace !== undefined) found.push(`namespaced attribute ${attribute.prefix ?? ''}:${name} on <${node.tagName}>`);
        if (/^on/i.test(name)) found.push(`event handler ${name} on <${node.tagName}>`);
        if (!allowed.has(name)) found.push(`attribute ${name} on <${node.tagName}>`);
        if (name === 'href') {
          let protocol: string | undefined;
          try {
            protocol = new URL(attribute.value).protocol;
          } catch {
            found.push(`href that is not an absolute URL: ${JSON.stringify(attribute.value)}`);
          }
          if (protocol !== undefined && !SCHEMES.has(protocol)) found.push(`href scheme ${protocol}`);
        }
      }
      if (node.tagName === 'a') {
        const rel = node.attrs.find((attribute) => attribute.name === 'rel')?.value;
        if (rel !== RICH_TEXT_LINK_REL) found.push(`link rel ${JSON.stringify(rel)}`);
      }
      walk(node.childNodes);
    }
  };
  walk(nodes);
  return found;
}

/** The same markup served inside a page: the body must hold only our host <div>'s subtree, and the head nothing. */
function pageFindings(markup: string, rules: TreeRules): string[] {
  const page = parse(`<!DOCTYPE html><html><head></head><body><div>${markup}</div></body></html>`);
  const root = page.childNodes.find((node) => adapter.isElementNode(node));
  const [head, body] = root !== undefined && adapter.isElementNode(root) ? root.childNodes : [];
  if (head === undefined || body === undefined || !adapter.isElementNode(head) || !adapter.isElementNode(body)) return ['the page lost its head or body'];
  const found = head.childNodes.length > 0 ? [`head content ${describeTree(head.childNodes)}`] : [];
  // Only the host's own element is exempt; anything the markup closed it early with lands beside it and is walked.
  const [host, ...rest] = body.childNodes;
  if (host === undefined || !adapter.isElementNode(host) || host.tagName !== 'div') return [...found, `the host <div> is gone: ${describeTree(body.childNodes)}`];
  return [...found, ...treeFindings([...host.childNodes, ...rest], rules)];
}

/** Findings for one sanitised output, read as innerHTML of a <div> and as part of a served page. */
function browserFindings(output: string, rules: TreeRules): string[] {
  return [
    ...treeFindings(parseIntoDiv(output).childNodes, rules).map((finding) => `innerHTML: ${finding}`),
    ...pageFindings(output, rules).map((finding) => `page: ${finding}`),
  ];
}

/**
 * Sanitises `input` and checks what a browser builds from the result; then takes the browser's view
 * of it (parse5's serialisation) through the sanitiser again and checks that too, and that the second
 * pass left the structure parse5 sees as it was. Returns a message naming the input, or undefined when safe.
 */
function reparseFailure(name: string, input: string, rules: TreeRules): string | undefined {
  const output = sanitizeRichText(input);
  const firstTree = parseIntoDiv(output);
  const found = browserFindings(output, rules);
  const browserView = serialize(firstTree);
  const again = sanitizeRichText(browserView);
  found.push(...browserFindings(again, rules).map((finding) => `after a parse5 round trip: ${finding}`));
  // parse5 does not round-trip everything on its own (a <pre>'s leading newline), so compare against parse5 alone.
  const parse5Alone = serialize(parseIntoDiv(browserView));
  const afterSanitiser = serialize(parseIntoDiv(again));
  if (afterSanitiser !== parse5Alone) found.push(`sanitising the browser's view changed its structure: ${JSON.stringify(parse5Alone)} -> ${JSON.stringify(afterSanitiser)}`);
  if (found.length === 0) return undefined;
  return `${name}: input ${JSON.stringify(input)} -> ${JSON.stringify(output)}; parse5 tree ${describeTree(firstTree.childNodes)}: ${found.join('; ')}`;
}

const STRICT: TreeRules = { scriptTextAllowed: false };

/**
 * Mutation-XSS inputs beyond the shared corpus: markup that htmlparser2 and the HTML5 tree builder
 * read differently (misnesting, raw-text and foreign-content elements, comment and CDATA endings,
 * stray end tags, NUL, entity-spelled schemes).
 */
const MUTATION_VECTORS: readonly { readonly name: string; readonly html: string }[] = [
  // Misnesting: the adoption agency, foster parenting and implied end tags rebuild the tree
  { name: 'misnested bold across paragraphs', html: '<p><b><p>one</b>two</p>' },
  { name: 'misnested bold and italic', html: '<b>a<i>b</b>c</i>d' },
  { name: 'bold wrapping a paragraph', html: '<b><p>x</b>y</p>' },
  { name: 'nested links', html: '<a href="https://ok.example/"><p><a href="javascript:alert(1)">inner</a></p></a>' },
  { name: 'link foster-parented out of a table', html: '<table><a href="javascript:alert(1)">foster</a><tr><td>x</td></tr></table>' },
  { name: 'table cell title breakout', html: '<table><td><a title="</table><img src=x onerror=alert(1)>" href="https://ok.example/">t</a>' },
  { name: 'paragraph inside a button', html: '<p><button><p>x</button>y' },
  { name: 'formatting across a table', html: '<b><table><td></b><i></table>x' },
  { name: 'list items closed implicitly', html: '<ul><li><p>a<li>b</ul>c' },
  { name: 'heading inside a heading', html: '<h2><h3>inner</h3>outer</h2>' },
  { name: 'blockquote closed under an open paragraph', html: '<blockquote><p>a</blockquote>b</p>' },
  { name: 'pre with leading newlines', html: '<pre>\n\nx</pre>' },

  // Raw-text and escapable raw-text elements with their closing tag inside an attribute value
  { name: 'noscript style breakout', html: '<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>' },
  { name: 'noscript closed inside a link title', html: '<noscript><a title="</noscript><img src=x onerror=alert(1)>">x</a></noscript>' },
  { name: 'style closed inside a title', html: '<style><a title="</style><img src=x onerror=alert(1)>"></style>' },
  { name: 'xmp closed inside a link title', html: '<xmp><a title="</xmp><img src=x onerror=alert(1)>">' },
  { name: 'textarea closed inside a link title', html: '<textarea><a title="</textarea><img src=x onerror=alert(1)>">' },
  { name: 'title closed inside a link title', html: '<title><a title="</title><img src=x onerror=alert(1)>">' },
  { name: 'noembed closed inside a link title', html: '<noembed><a title="</noembed><img src=x onerror=alert(1)>">' },
  { name: 'noframes closed inside a link title', html: '<noframes><a title="</noframes><img src=x onerror=alert(1)>">' },
  { name: 'iframe closed inside a link title', html: '<iframe><a title="</iframe><img src=x onerror=alert(1)>">' },
  { name: 'plaintext', html: '<plaintext><img src=x onerror=alert(1)>' },
  { name: 'allowed link whose title closes noscript', html: '<a href="https://ok.example/" title="</noscript><img src=x onerror=alert(1)>">t</a>' },

  // Foreign content: svg and math namespaces, integration points, and breaking out of them
  { name: 'unclosed svg style', html: '<svg><style><img src=x onerror=alert(1)>' },
  { name: 'paragraph breaking out of svg', html: '<svg><p><style><img src=x onerror=alert(1)>' },
  { name: 'math mtext table mglyph style', html: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>' },
  { name: 'math mglyph svg mtext style', html: '<math><mi><mglyph><svg><mtext><style><img src=x onerror=alert(1)>' },
  { name: 'math annotation-xml html integration point', html: '<math><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)></style></annotation-xml></math>' },
  { name: 'svg foreignObject', html: '<svg><foreignObject><p>ok</p><style><img src=x onerror=alert(1)></style></foreignObject></svg>' },
  { name: 'svg CDATA closing svg', html: '<svg><![CDATA[</svg><img src=x onerror=alert(1)>]]>' },
  { name: 'form, math and textarea (DOMPurify 2.0.17 bypass)', html: '<form><math><mtext></form><form><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">' },
  { name: 'math heading svg style (DOMPurify 2.2.2 bypass)', html: '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style><img src onerror=alert(1)>"></style></h1>' },
  { name: 'svg title closed inside an id', html: '<svg></p><title><a id="</title><img src=x onerror=alert(1)>"></svg>' },
  { name: 'svg link', html: '<svg><a href="javascript:alert(1)"><text>x</text></a></svg>' },
  { name: 'math with href', html: '<math href="javascript:alert(1)">x</math>' },
  { name: 'template style breakout', html: '<template><style></template><img src=x onerror=alert(1)></style>' },

  // Comments, CDATA, processing instructions and bogus comments that end earlier than they look
  { name: 'comment closed by <!-->', html: '<!--><img src=x onerror=alert(1)>-->' },
  { name: 'comment closed by <!--->', html: '<!---><img src=x onerror=alert(1)>-->' },
  { name: 'comment closed by --!>', html: '<!-- a --!><img src=x onerror=alert(1)> -->' },
  { name: 'CDATA in HTML content is a bogus comment ending at >', html: '<![CDATA[><img src=x onerror=alert(1)>]]>' },
  { name: 'processing instruction ending at the first >', html: '<? x ><img src=x onerror=alert(1)> ?>' },
  { name: 'bogus comment <!x>', html: '<!x><img src=x onerror=alert(1)>' },
  { name: 'comment in an allowed paragraph', html: '<p>a<!--<img src=x onerror=alert(1)>-->b</p>' },

  // Stray end tags (</br> builds a <br>, </p> an empty <p>) and end tags with attributes
  { name: 'stray </br>', html: 'a</br>b' },
  { name: 'stray </p>', html: 'a</p>b' },
  { name: 'extra </p> end tags', html: '<p>a</p></p></p>' },
  { name: 'end tag with a hostile attribute', html: '</x title="</p><img src=x onerror=alert(1)>">' },
  { name: '</br> with a hostile attribute', html: '</br title="<img src=x onerror=alert(1)>">' },

  // NUL and control characters
  { name: 'NUL inside a handler name', html: '<img src=x on\u0000error=alert(1)>' },
  { name: 'NUL before the tag name', html: '<\u0000script>alert(1)</script>' },
  { name: 'NUL after the link tag name', html: '<a\u0000 href=javascript:alert(1)>x</a>' },
  { name: 'NUL between attributes', html: '<a href="https://ok.example/"\u0000onclick=alert(1)>x</a>' },
  { name: 'NUL character reference in text', html: '<p>a&#0;<script>alert(1)</script>b</p>' },
  { name: 'NUL character reference in a title', html: '<a href="https://ok.example/" title="a&#0;b">t</a>' },

  // Link attributes: entity-spelled and split schemes, malformed quoting, duplicates
  { name: 'tab character reference in javascript', html: '<a href="java&#x09;script:alert(1)">x</a>' },
  { name: 'hex-encoded first letters', html: '<a href="&#x6a;&#x61;vascript:alert(1)">x</a>' },
  { name: 'hex-encoded colon', html: '<a href="javascript&#x3a;alert(1)">x</a>' },
  { name: 'padded decimal colon without semicolon', html: '<a href="javascript&#0000058alert(1)">x</a>' },
  { name: 'padded hex first letter', html: '<a href="&#x0000006A;avascript:alert(1)">x</a>' },
  { name: 'leading newline entity', html: '<a href="&NewLine;javascript:alert(1)">x</a>' },
  { name: 'named colon and parentheses', html: '<a href="jAvAsCrIpT&colon;alert&lpar;1&rpar;">x</a>' },
  { name: 'entity-spelled https stays a link', html: '<a href="https&#58;//ok.example/">ok</a>' },
  { name: 'markup spelled in an href query', html: '<a href="https://ok.example/?q=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">q</a>' },
  { name: 'markup in a mailto address', html: '<a href="mailto:&lt;script&gt;alert(1)&lt;/script&gt;@example.com">m</a>' },
  { name: 'single-quoted title holding double quotes', html: `<a href="https://ok.example/" title='"><img src=x onerror=alert(1)>'>t</a>` },
  { name: 'unquoted title holding a quote', html: '<a href=https://ok.example/ title=x"><img src=x onerror=alert(1)>' },
  { name: 'attributes without whitespace between them', html: '<a href="https://ok.example/"title="x"onclick="alert(1)">t</a>' },
  { name: 'slash as attribute separator', html: '<a/href="javascript:alert(1)">x</a>' },
  { name: 'duplicate href, safe first', html: '<a href="https://ok.example/" href="javascript:alert(1)">x</a>' },
  { name: 'duplicate href, hostile first', html: '<a href="javascript:alert(1)" href="https://ok.example/">x</a>' },
  { name: 'duplicate rel', html: '<a rel="opener" rel="noopener noreferrer" href="https://ok.example/">x</a>' },
  { name: 'image element renamed to img by the tree builder', html: '<image src=x onerror=alert(1)>' },
];

/**
 * Markup left unterminated at the very end of the input: a browser's tokenizer drops it, the
 * sanitiser keeps it as escaped text, so a browser shows the characters `<script...` as text.
 * Inert (a text node, no element, no attribute), like any text an author writes escaped, so these
 * run with the `<script`-text rule off and every other check on (found by this file's checks and
 * judged not a flaw, 2026-11-22).
 */
const UNTERMINATED_TAILS: readonly { readonly name: string; readonly html: string }[] = [
  { name: 'unterminated script start tag after a <', html: '<<script' },
  { name: 'unterminated bogus comment holding a script tag', html: '<!<script src="https://xss.example/x.js"' },
  { name: 'unterminated processing instruction holding a script tag', html: '<?<script href=""' },
  { name: 'unterminated end tag holding a script tag', html: '</<script' },
  { name: 'unterminated image tag with a handler', html: '<!<img src=x onerror=alert(1)' },
];

describe('sanitizeRichText output as a browser re-parses it (V4, mutation XSS)', () => {
  it(`holds for all ${XSS_VECTORS.length} corpus vectors`, () => {
    assert.ok(XSS_VECTORS.length >= 50);
    const failures = XSS_VECTORS.map((vector) => reparseFailure(vector.name, vector.html, STRICT)).filter((failure) => failure !== undefined);
    assert.deepEqual(failures, []);
  });

  it(`holds for ${MUTATION_VECTORS.length} mutation-XSS inputs`, () => {
    assert.ok(MUTATION_VECTORS.length >= 25);
    const failures = MUTATION_VECTORS.map((vector) => reparseFailure(vector.name, vector.html, STRICT)).filter((failure) => failure !== undefined);
    assert.deepEqual(failures, []);
  });

  it('keeps markup left unterminated at the end as inert text, every other check holding', () => {
    const failures = UNTERMINATED_TAILS.map((vector) => reparseFailure(vector.name, vector.html, { scriptTextAllowed: true })).filter((failure) => failure !== undefined);
    assert.deepEqual(failures, []);
  });

  it('keeps legitimate rich text and text written escaped, as the browser reads it', () => {
    const output = sanitizeRichText('<p>Use <code>&lt;script&gt;</code> with <a href="https://ok.example/docs">care</a>.</p>');
    assert.equal(reparseFailure('escaped script text', output, { scriptTextAllowed: true }), undefined);
    assert.equal(
      describeTree(parseIntoDiv(output).childNodes),
      '<p>"Use "<code>"<script>"</code>" with "<a href="https://ok.example/docs" rel="noopener noreferrer">"care"</a>"."</p>',
    );
  });

  it('the browser-side checker catches what it must (it is not vacuous)', () => {
    const flagged = (markup: string): boolean => browserFindings(markup, STRICT).length > 0;
    assert.deepEqual(browserFindings('<p>fine <a href="https://x.example/" rel="noopener noreferrer">l</a></p>', STRICT), []);
    assert.ok(flagged('<img src=x onerror=alert(1)>'));
    assert.ok(flagged('<p onclick="x">p</p>'));
    assert.ok(flagged('<p title="x">p</p>'));
    assert.ok(flagged('<a href="java&#x09;script:alert(1)" rel="noopener noreferrer">x</a>'));
    assert.ok(flagged('<a href="/relative" rel="noopener noreferrer">x</a>'));
    assert.ok(flagged('<a href="https://x.example/">no rel</a>'));
    assert.ok(flagged('<a href="https://x.example/" rel="noopener">weak rel</a>'));
    assert.ok(flagged('<p>a<!-- c -->b</p>'));
    assert.ok(flagged('<svg><p>p breaks out, svg stays</p></svg>'));
    assert.ok(flagged('<math><mi>x</mi></math>'));
    assert.ok(flagged('<template><p>x</p></template>'));
    assert.ok(flagged('<p>&lt;script&gt;alert(1)</p>'));
    assert.ok(flagged('</div><img src=x onerror=alert(1)>'), 'content that closes the host element is still walked');
    assert.ok(browserFindings('<p>&lt;script&gt;</p>', { scriptTextAllowed: true }).length === 0);
  });

  describe('property: random markup from dangerous fragments is safe as a browser re-parses it', () => {
    const tagName = fc.constantFrom(
      ...RICH_TEXT_TAGS, 'A', 'P', 'script', 'ScRiPt', 'style', 'svg', 'math', 'mtext', 'mglyph', 'mi', 'annotation-xml', 'foreignObject',
      'table', 'td', 'tr', 'form', 'button', 'noscript', 'xmp', 'textarea', 'title', 'template', 'iframe', 'img', 'image', 'select',
      'option', 'plaintext', 'noembed', 'noframes', 'h1', 'div', 'desc',
    );
    const attributeName = fc.constantFrom('href', 'HREF', 'title', 'rel', 'onerror', 'onclick', 'src', 'style', 'xlink:href', 'id', 'encoding');
    const attributeValue = fc
      .array(
        fc.constantFrom(
          'javascript:', 'java&#x09;script:', 'jav\tascript:', '&#106;avascript:', 'javascript&colon;', 'https://ok.example/', 'mailto:a@b.example',
          '//', 'alert(1)', '"', "'", '`', '<', '>', '</style>', '</noscript>', '</title>', '</textarea>', '<img src=x onerror=alert(1)>', '&quot;',
          '&lt;', '&gt;', '&amp;', '&#0;', '\u0000', 'text/html', ' ',
        ),
        { maxLength: 4 },
      )
      .map((parts) => parts.join(''));
    const quote = fc.constantFrom('"', "'", '');
    const attribute = fc.tuple(fc.constantFrom(' ', '/', '\u0000', ''), attributeName, quote, attributeValue).map(([gap, name, q, value]) => `${gap}${name}=${q}${value}${q}`);
    const openTag = fc.tuple(tagName, fc.array(attribute, { maxLength: 3 }), fc.constantFrom('>', '/>', ' >', '')).map(([name, attributes, end]) => `<${name}${attributes.join('')}${end}`);
    const closeTag = tagName.map((name) => `</${name}>`);
    const fragment = fc.constantFrom(
      '<', '>', '/', '=', '"', "'", '`', '&', '&lt;', '&gt;', '&#60;', '&#x3c;', '&amp;', '&Tab;', '&colon;', '&#0;', 'javascript:', 'alert(1)',
      '<!--', '-->', '--!>', '<!-->', '<![CDATA[', ']]>', '<?', '?>', '<!', '<svg>', '</svg>', '<math>', '</math>', '<style>', '</style>',
      '</p>', '</br>', '<img src=x onerror=alert(1)>', '\u0000', '\t', '\n', ' ', 'text',
    );
    const markup = fc.array(fc.oneof(openTag, closeTag, fragment, fragment), { maxLength: 40, size: 'max' }).map((parts) => parts.join(''));

    it('holds for 3000 generated inputs', () => {
      fc.assert(
        fc.property(markup, (input) => {
          const withoutControls = input.replace(/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/g, '');
          // `&lt;script` (or `&#60;`, `&#x3c;`) in the input is text the author wrote escaped; it is text to a browser too.
          const escapedByAuthor = /&(?:lt|LT|#0*60|#[xX]0*3[cC])/.test(withoutControls);
          // Markup left unterminated at the end comes out as inert escaped text (see UNTERMINATED_TAILS): the text rule is
          // relaxed only when that tail (after the last `>`) itself holds `<script`; every other check still applies.
          const unterminatedTail = withoutControls.slice(withoutControls.lastIndexOf('>') + 1);
          const scriptTextAllowed = escapedByAuthor || /<script/i.test(unterminatedTail);
          const failure = reparseFailure('generated', input, { scriptTextAllowed });
          assert.equal(failure, undefined, failure);
        }),
        { numRuns: 3000 },
      );
    });
  });
});
