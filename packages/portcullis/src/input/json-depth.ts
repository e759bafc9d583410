/**
 * R7: nesting depth of a JSON text, measured before parsing. JSON.parse itself survives deep input,
 * but building half a million nested arrays blocks the event loop for tens of milliseconds, so the
 * scan stops as soon as the limit is passed. Strings are skipped with indexOf, not char by char.
 */
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/** True when `text` nests objects/arrays deeper than `maxDepth`. Malformed text is left to JSON.parse. */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Each level costs two characters, so short texts cannot be too deep.
  if (text.length <= maxDepth * 2) return false;
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i);
      if (i === -1) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string opened at `start`, or -1 if it never closes. */
function endOfString(text: string, start: number): number {
  let at = start;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return -1;
    let backslashes = 0;
    for (let j = at - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}
