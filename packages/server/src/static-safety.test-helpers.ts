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
 * - `sql-raw`: any `sql.raw(` or `sql.lit(` call;
 * - `sql-identifier`: `sql.ref(`, `sql.id(` or `sql.table(` with anything but a string literal;
 * - `sql-interpolation`: a `sql` template interpolating anything but a plain name or property path
 *   (`${staleBefore}`, `${row.id}`: bound), a literal, a nested `sql` fragment or one of the `sql.*`
 *   helpers above (checked by their own rules);
 * - `query-built-from-strings`: a template literal with substitutions, or a `+` concatenation
 *   involving a string, as the first argument of `.query(`, `.execute(`, `.exec(` or `.prepare(`
 *   (pg, better-sqlite3, Kysely's executeQuery);
 * - `child-process`: importing or requiring `child_process` or `vm` (shell and code execution);
 * - `eval`: calling `eval(`, `Function(` or `new Function(`;
 * - `test-code-in-runtime`: runtime code importing test support.
 *
 * A value built by concatenation into a variable first and passed later is not followed: the rules
 * look at what reaches the call, and code review covers the rest.
 */

export type SafetyRule = 'sql-raw' | 'sql-identifier' | 'sql-interpolation' | 'query-built-from-strings' | 'child-process' | 'eval' | 'test-code-in-runtime';

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
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) return node.expression.text === 'eval' || node.expression.text === 'Function';
  return ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function';
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
    if (isSqlHelperCall(node, SPLICING_HELPERS)) report(node, 'sql-raw');
    if (isSqlHelperCall(node, IDENTIFIER_HELPERS) && !node.arguments.every((argument) => ts.isStringLiteralLike(argument))) report(node, 'sql-identifier');
    if (isSqlTemplate(node) && ts.isTemplateExpression(node.template)) {
      for (const span of node.template.templateSpans) if (!isBoundOrCheckedFragment(span.expression)) report(span.expression, 'sql-interpolation');
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && QUERY_METHODS.has(node.expression.name.text)) {
      const first = node.arguments[0];
      if (first !== undefined && isBuiltFromStrings(first)) report(node, 'query-built-from-strings');
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
