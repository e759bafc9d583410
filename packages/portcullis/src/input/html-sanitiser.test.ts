import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTag, isText, type ChildNode } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { sanitizeRichText } from './html-sanitiser.js';
import { XSS_VECTORS } from './html-sanitiser.xss-corpus.test-helpers.js';

// V4. The allowlist is written out here again, not imported, so widening it in the module fails
// these tests. Every output is parsed back with htmlparser2 (what sanitize-html itself parses
// with) and walked: only these tags, only these attributes, only http/https/mailto links.

const TAGS = new Set(['p', 'br', 'strong', 'em', 'b', 'i', 'u', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h2', 'h3', 'h4']);
const LINK_ATTRIBUTES = new Set(['href', 'title', 'rel']);
const SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** Every way the output could still carry something executable, as a list of findings (empty when safe). */
function findings(output: string): string[] {
  const found: string[] = [];
  const walk = (nodes: readonly ChildNode[]): void => {
    for (const node of nodes) {
      if (isText(node)) continue;
      if (!isTag(node)) {
        found.push(`a ${node.type} node`);
        continue;
      }
      if (!TAGS.has(node.name)) found.push(`tag <${node.name}>`);
      for (const [name, value] of Object.entries(node.attribs)) {
        if (node.name !== 'a' || !LINK_ATTRIBUTES.has(name)) {
          found.push(`attribute ${name} on <${node.name}>`);
          continue;
        }
        if (name === 'href') {
          let url: URL | undefined;
          try {
            url = new URL(value);
          } catch {
            found.push(`href that is not an absolute URL: ${value}`);
          }
          if (url !== undefined && !SCHEMES.has(url.protocol)) found.push(`href scheme ${url.protocol}`);
          if (url !== undefined && (url.username !== '' || url.password !== '')) found.push('href with credentials');
          if (url !== undefined && url.href !== value) found.push(`href not in normalised form: ${value}`);
        }
      }
      if (node.name === 'a' && node.attribs['rel'] !== 'noopener noreferrer') found.push(`link rel ${String(node.attribs['rel'])}`);
      walk(node.children);
    }
  };
  walk(parseDocument(output, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }).children);
  return found;
}

describe('sanitizeRichText (V4)', () => {
  it('keeps the allowed formatting as it was written', () => {
    const html =
      '<h2>Title</h2><p>Hello <strong>bold</strong>, <em>em</em>, <b>b</b>, <i>i</i>, <u>u</u>, <s>s</s>.<br />Next</p>' +
      '<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quote</blockquote><pre><code>x &lt; y</code></pre><h3>h3</h3><h4>h4</h4>';
    assert.equal(sanitizeRichText(html), html);
  });

  it('gives every link rel="noopener noreferrer" and writes its href in normalised form', () => {
    assert.equal(
      sanitizeRichText('<a href=" HTTPS://Example.COM/a b" title="Docs">docs</a>'),
      '<a href="https://example.com/a%20b" title="Docs" rel="noopener noreferrer">docs</a>',
    );
    assert.equal(sanitizeRichText('<a href="mailto:someone@example.com">mail</a>'), '<a href="mailto:someone@example.com" rel="noopener noreferrer">mail</a>');
    assert.equal(sanitizeRichText('<a href="/relative">rel</a>'), '<a rel="noopener noreferrer">rel</a>', 'relative links are not accepted');
    assert.equal(sanitizeRichText('<a href="ftp://example.com/">ftp</a>'), '<a rel="noopener noreferrer">ftp</a>');
  });

  it('escapes text, so plain text stays plain', () => {
    assert.equal(sanitizeRichText('a < b && c > d "quoted"'), 'a &lt; b &amp;&amp; c &gt; d "quoted"');
    assert.equal(sanitizeRichText('&lt;script&gt;alert(1)&lt;/script&gt;'), '&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('drops script-like and foreign content whole, and drops comments', () => {
    assert.equal(sanitizeRichText('a<script>alert(1)</script>b<style>p{}</style>c<svg><text>t</text></svg>d<math><mi>m</mi></math>e'), 'abcde');
    assert.equal(sanitizeRichText('<p>x<!-- secret --></p>'), '<p>x</p>');
    assert.equal(sanitizeRichText('<div><span>kept text</span></div>'), 'kept text');
  });

  it('removes NUL and stray control characters (PostgreSQL cannot store NUL; browsers ignore them)', () => {
    assert.equal(sanitizeRichText('a\u0000b\u0007c\td\ne'), 'abc\td\ne');
  });

  it('bounds nesting depth', () => {
    const output = sanitizeRichText(`${'<b>'.repeat(100)}x`);
    assert.ok((output.match(/<b>/g) ?? []).length <= 20, output);
    assert.match(output, /x/);
  });

  it(`leaves nothing executable in any of the ${XSS_VECTORS.length} corpus vectors`, () => {
    assert.ok(XSS_VECTORS.length >= 50);
    const failures: string[] = [];
    for (const vector of XSS_VECTORS) {
      const output = sanitizeRichText(vector.html);
      const found = findings(output);
      for (const text of vector.absent ?? []) if (output.includes(text)) found.push(`still contains ${JSON.stringify(text)}`);
      for (const text of vector.keeps ?? []) if (!output.includes(text)) found.push(`lost ${JSON.stringify(text)}`);
      if (sanitizeRichText(output) !== output) found.push('not stable when sanitised again');
      if (found.length > 0) failures.push(`${vector.name}: ${JSON.stringify(output)}: ${found.join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });

  it('the checker itself catches what it must (it is not vacuous)', () => {
    assert.deepEqual(findings('<p>fine <a href="https://x.example/" rel="noopener noreferrer">l</a></p>'), []);
    assert.ok(findings('<img src=x>').length > 0);
    assert.ok(findings('<p onclick="x">p</p>').length > 0);
    assert.ok(findings('<a href="javascript:alert(1)" rel="noopener noreferrer">x</a>').length > 0);
    assert.ok(findings('<a href="jav&#x09;ascript:alert(1)" rel="noopener noreferrer">x</a>').length > 0);
    assert.ok(findings('<a href="https://x.example/">no rel</a>').length > 0);
    assert.ok(findings('<!-- c -->').length > 0);
    assert.ok(findings('<h1>h</h1>').length > 0);
  });

  describe('property: random HTML-ish input never yields a tag, attribute or scheme off the allowlist', () => {
    const tagNames = fc.constantFrom(
      'p', 'a', 'b', 'A', 'ScRiPt', 'script', 'style', 'img', 'svg', 'math', 'iframe', 'object', 'embed', 'base', 'meta', 'form',
      'input', 'button', 'noscript', 'textarea', 'xmp', 'template', 'title', 'li', 'h2', 'h1', 'pre', 'mglyph', 'select', 'option',
    );
    const attributeNames = fc.constantFrom('href', 'HREF', 'src', 'onclick', 'onerror', 'style', 'title', 'rel', 'formaction', 'srcdoc', 'xlink:href', 'action', 'data', 'target');
    const schemes = fc.constantFrom(
      'javascript:', 'JaVaScRiPt:', 'jav&#x09;ascript:', 'java\tscript:', 'java\u0000script:', '&#106;avascript:', 'vbscript:', 'data:text/html,',
      '//', '\\\\', 'https://', 'http://', 'mailto:', ' https://', 'javascript&colon;', 'https://user:pw@', '',
    );
    const values = fc.tuple(schemes, fc.constantFrom('alert(1)', 'x.example/', 'a@b.c', '"><script>alert(1)</script>', "'", '`', '&quot;', '')).map(([a, b]) => a + b);
    const quotes = fc.constantFrom('"', "'", '`', '');
    const attribute = fc.tuple(attributeNames, quotes, values).map(([name, quote, value]) => ` ${name}=${quote}${value}${quote}`);
    const openTag = fc.tuple(tagNames, fc.array(attribute, { maxLength: 3 }), fc.constantFrom('>', '/>', ' >', '')).map(([name, attributes, end]) => `<${name}${attributes.join('')}${end}`);
    const closeTag = tagNames.map((name) => `</${name}>`);
    const noise = fc.constantFrom('<', '>', '"', "'", '&', '&lt;', '&#60;', '<!--', '-->', '--!>', '<![CDATA[', ']]>', '<?', '?>', '<!DOCTYPE html>', '\u0000', '\t', '\n', '=', '/', 'text', ' ');
    const fragment = fc.oneof(openTag, closeTag, noise, fc.string({ maxLength: 8 }));
    const document = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));

    it('holds for 2000 generated documents, and sanitising twice changes nothing', () => {
      fc.assert(
        fc.property(document, (html) => {
          const output = sanitizeRichText(html);
          assert.deepEqual(findings(output), [], `${JSON.stringify(html)} -> ${JSON.stringify(output)}`);
          assert.equal(sanitizeRichText(output), output);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
