import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * V2 static safety: reads source with the TypeScript parser (not regular expressions, so strings
 * and comments cannot hide or fake a finding) and reports every construct that could turn input
 * into code. How Kysely's `sql` tag works decides the SQL rules: an interpolated value becomes a
 * bound parameter, except a RawBuilder (`sql.raw`, `sql.lit`, identifiers from `sql.ref`/`id`/
 * `table`, nested fragments), which is spliced into the text. So:
 *
 * - `sql-raw`: any `sql.raw(` or `sql.lit(` call, `CompiledQuery.raw(`, and either helper taken out
 *   of `sql` to be called later (`const { raw } = sql`, `const r = sql.raw`);
 * - `sql-identifier`: `sql.ref(`, `sql.id(`, `sql.table(`, `db.dynamic.ref(` or `db.dynamic.table(`
 *   with anything but a string literal;
 * - `sql-interpolation`: a `sql` template interpolating anything but a plain name or property path
 *   (`${staleBefore}`, `${row.id}`: bound), a literal, a nested `sql` fragment or one of the `sql.*`
 *   helpers above (checked by their own rules);
 * - `query-built-from-strings`: a template literal with substitutions, or a `+` concatenation
 *   involving a string, as the first argument of `.query(`, `.execute(`, `.exec(` or `.prepare(`
 *   (pg, better-sqlite3, Kysely's executeQuery);
 * - `query-not-literal`: `.query(` (a raw pg client) or `.executeQuery(` (Kysely's raw entry point)
 *   whose first argument is anything but a string literal or an in-place Kysely builder chain
 *   ending in `.compile()`. A variable is not followed, so it is flagged: it may hold a string
 *   built anywhere. (`.execute(` is left to the rule above: Kysely's `.execute(db)` and
 *   `transaction().execute(fn)` take a non-literal by design; `.exec(` is also RegExp's.)
 * - `child-process`: importing or requiring `child_process` or `vm` (shell and code execution);
 * - `eval`: calling `eval(`, `Function(` or `new Function(`, any use of a `vm` binding (`vm.`),
 *   and `setTimeout`/`setInterval`/`setImmediate` given a string to run;
 * - `test-code-in-runtime`: runtime code importing test support.
 *
 * A value built by concatenation into a variable first and passed later to `.execute(`, `.exec(`
 * or `.prepare(` is not followed: the rules look at what reaches the call, and code review covers
 * the rest (`.query(` and `.executeQuery(` refuse variables outright, see above).
 */

export type SafetyRule = 'sql-raw' | 'sql-identifier' | 'sql-interpolation' | 'query-built-from-strings' | 'query-not-literal' | 'child-process' | 'eval' | 'test-code-in-runtime';

export interface SafetyFinding {
  readonly file: string;
  readonly line: number;
  readonly rule: SafetyRule;
  readonly text: string;
}

const SPLICING_HELPERS = new Set(['raw', 'lit']);
const IDENTIFIER_HELPERS = new Set(['ref', 'id', 'table']);
/** `sql.*` helpers whose result may be interpolated: each is checked by its own rule. */
const FRAGMENT_HELPERS = new Set(['raw', 'lit', 'ref', 'id', 'table', 'join', 'val']);
const QUERY_METHODS = new Set(['query', 'execute', 'exec', 'prepare']);
/** Raw-query entry points whose first argument must be a literal or a compiled builder. */
const LITERAL_ONLY_METHODS = new Set(['query', 'executeQuery']);
const TIMER_FUNCTIONS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const FORBIDDEN_MODULES = new Set(['child_process', 'node:child_process', 'vm', 'node:vm']);
const TEST_SUPPORT = /(^|\/)test-support\/|\.test-helpers(\.js|\.ts)?$|\.test(\.js|\.ts)?$/;

function isSqlHelperCall(node: ts.Node, names: ReadonlySet<string>): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const callee = node.expression;
  return ts.isIdentifier(callee.expression) && callee.expression.text === 'sql' && names.has(callee.name.text);
}

function isSqlTemplate(node: ts.Node): node is ts.TaggedTemplateExpression {
  return ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'sql';
}

/** A name or a property path (`a`, `a.b.c`): a value Kysely binds as a parameter. */
function isNamePath(node: ts.Expression): boolean {
  let current: ts.Expression = node;
  while (ts.isPropertyAccessExpression(current)) current = current.expression;
  return ts.isIdentifier(current) || current.kind === ts.SyntaxKind.ThisKeyword;
}

function isBoundOrCheckedFragment(node: ts.Expression): boolean {
  const inner = ts.isParenthesizedExpression(node) ? node.expression : node;
  if (isNamePath(inner)) return true;
  if (ts.isStringLiteral(inner) || ts.isNumericLiteral(inner) || ts.isNoSubstitutionTemplateLiteral(inner)) return true;
  if (inner.kind === ts.SyntaxKind.TrueKeyword || inner.kind === ts.SyntaxKind.FalseKeyword || inner.kind === ts.SyntaxKind.NullKeyword) return true;
  return isSqlTemplate(inner) || isSqlHelperCall(inner, FRAGMENT_HELPERS);
}

function involvesString(node: ts.Expression): boolean {
  if (ts.isStringLiteral(node) || ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) return true;
  if (ts.isParenthesizedExpression(node)) return involvesString(node.expression);
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && (involvesString(node.left) || involvesString(node.right));
}

function isBuiltFromStrings(node: ts.Expression): boolean {
  const inner = ts.isParenthesizedExpression(node) ? node.expression : node;
  if (ts.isTemplateExpression(inner)) return true;
  return ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.PlusToken && involvesString(inner);
}

function moduleNameOf(node: ts.Node): string | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
    return node.moduleSpecifier.text;
  }
  if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
    const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
    if (isRequire || node.expression.kind === ts.SyntaxKind.ImportKeyword) return (node.arguments[0] as ts.StringLiteralLike).text;
  }
  return undefined;
}

function isCodeFromString(node: ts.Node): boolean {
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
    const name = node.expression.text;
    if (name === 'eval' || name === 'Function') return true;
    const first = node.arguments[0];
    return TIMER_FUNCTIONS.has(name) && first !== undefined && (ts.isStringLiteralLike(first) || isBuiltFromStrings(first));
  }
  // `vm.runInNewContext(...)`, `vm.Script`: the `vm` binding however it was obtained.
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'vm') return true;
  return ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function';
}

/** `CompiledQuery.raw(...)`: Kysely's query from a string. */
function isCompiledQueryRaw(node: ts.Node): boolean {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'raw' && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'CompiledQuery';
}

/** `sql.raw` / `sql.lit` read but not called here (aliased), or `{ raw }` / `{ lit }` destructured from `sql`. */
function isSplicingHelperTakenOut(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'sql' && SPLICING_HELPERS.has(node.name.text)) {
    return !(ts.isCallExpression(node.parent) && node.parent.expression === node);
  }
  if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer !== undefined && ts.isIdentifier(node.initializer) && node.initializer.text === 'sql') {
    return node.name.elements.some((element) => {
      const key = element.propertyName ?? element.name;
      return (ts.isIdentifier(key) || ts.isStringLiteral(key)) && SPLICING_HELPERS.has(key.text);
    });
  }
  return false;
}

/** `x.dynamic.ref(` / `x.dynamic.table(`: Kysely's identifiers from a runtime string. */
function isDynamicIdentifierCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const callee = node.expression;
  return (callee.name.text === 'ref' || callee.name.text === 'table') && ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === 'dynamic';
}

/** A string literal, or a Kysely builder chain compiled in place (`db.selectFrom('t')...compile()`). */
function isLiteralOrCompiledBuilder(node: ts.Expression): boolean {
  if (ts.isStringLiteralLike(node)) return true;
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'compile' && node.arguments.length === 0 && ts.isCallExpression(node.expression.expression);
}

/**
 * Every finding in one source text. `file` is only used to label findings.
 *
 * @example
 * checkSource('bad.ts', "db.query(`select * from users where id = ${id}`)"); // one query-built-from-strings
 */
export function checkSource(file: string, text: string): SafetyFinding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: SafetyFinding[] = [];
  const report = (node: ts.Node, rule: SafetyRule): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    findings.push({ file, line, rule, text: node.getText(source).slice(0, 120) });
  };
  const visit = (node: ts.Node): void => {
    if (isSqlHelperCall(node, SPLICING_HELPERS) || isCompiledQueryRaw(node) || isSplicingHelperTakenOut(node)) report(node, 'sql-raw');
    if (isDynamicIdentifierCall(node) && !node.arguments.every((argument) => ts.isStringLiteralLike(argument))) report(node, 'sql-identifier');
    if (isSqlHelperCall(node, IDENTIFIER_HELPERS) && !node.arguments.every((argument) => ts.isStringLiteralLike(argument))) report(node, 'sql-identifier');
    if (isSqlTemplate(node) && ts.isTemplateExpression(node.template)) {
      for (const span of node.template.templateSpans) if (!isBoundOrCheckedFragment(span.expression)) report(span.expression, 'sql-interpolation');
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && QUERY_METHODS.has(node.expression.name.text)) {
      const first = node.arguments[0];
      if (first !== undefined && isBuiltFromStrings(first)) report(node, 'query-built-from-strings');
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && LITERAL_ONLY_METHODS.has(node.expression.name.text)) {
      const first = node.arguments[0];
      if (first !== undefined && !isBuiltFromStrings(first) && !isLiteralOrCompiledBuilder(first)) report(node, 'query-not-literal');
    }
    const moduleName = moduleNameOf(node);
    if (moduleName !== undefined && FORBIDDEN_MODULES.has(moduleName)) report(node, 'child-process');
    if (moduleName !== undefined && moduleName.startsWith('.') && TEST_SUPPORT.test(moduleName)) report(node, 'test-code-in-runtime');
    if (isCodeFromString(node)) report(node, 'eval');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

/** Runtime source files under `root`: every .ts except tests, test helpers, test support and declarations. */
export function runtimeSourceFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'test-support') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.test-helpers.ts')) {
        found.push(path);
      }
    }
  };
  walk(root);
  return found.sort();
}

/** Findings across files, labelled with paths relative to `base` (forward slashes). */
export function checkFiles(base: string, files: readonly string[]): SafetyFinding[] {
  return files.flatMap((path) => checkSource(relative(base, path).split(sep).join('/'), readFileSync(path, 'utf8')));
}
