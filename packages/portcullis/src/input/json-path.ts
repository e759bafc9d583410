/**
 * Names the place of a refused key or string in a request (V1, V2), for the `errors` list of the
 * one 400 problem+json shape: `body.profile.name`, `body.items[2].title`. The path is built from
 * client keys, so only plain identifiers are echoed; any other key on the way is shown as `<key>`,
 * and the refused key itself is always a fixed placeholder (`<forbidden key>`, `<invalid key>`):
 * a hostile key never reaches a response.
 */

/** A path step: an object key, or an array index. */
export type PathStep = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** Plain identifiers that are still forbidden keys (forbidden-keys.ts): hidden like any other. */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const shown = (key: string): string => (PLAIN_KEY.test(key) && !PROTOTYPE_NAMES.has(key) ? key : '<key>');

/** `where` (`body`) followed by the steps, with every key that is not a plain identifier hidden. */
export function fieldOf(where: string, steps: readonly PathStep[], last?: string): string {
  let field = where;
  for (const step of steps) field += typeof step === 'number' ? `[${step}]` : `.${shown(step)}`;
  return last === undefined ? field : `${field}.${last}`;
}

export interface PathEntry {
  readonly value: unknown;
  readonly steps: readonly PathStep[];
}

/**
 * Visits every object key and array item of a parsed JSON value in document order, iteratively
 * (depth is bounded before parsing; a stack is cheaper than recursion anyway). `visit` returns
 * false to stop.
 */
export function walkJson(root: unknown, visit: (key: string, value: unknown, parentSteps: readonly PathStep[]) => boolean, onString?: (text: string, steps: readonly PathStep[]) => boolean): void {
  const pending: PathEntry[] = [{ value: root, steps: [] }];
  while (pending.length > 0) {
    const { value, steps } = pending.pop() as PathEntry;
    if (typeof value === 'string') {
      if (onString !== undefined && !onString(value, steps)) return;
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) pending.push({ value: value[index], steps: [...steps, index] });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      const children: PathEntry[] = [];
      for (const key of keys) {
        const child = (value as Record<string, unknown>)[key];
        if (!visit(key, child, steps)) return;
        children.push({ value: child, steps: [...steps, key] });
      }
      for (let index = children.length - 1; index >= 0; index--) pending.push(children[index] as PathEntry);
    }
  }
}
