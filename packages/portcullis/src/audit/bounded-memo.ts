/**
 * E3: remembers what a pure function of a string returned, for at most `limit` distinct strings;
 * past that it computes without remembering. Security events repeat a handful of field names,
 * routes and methods millions of times, and checking each against the redaction patterns again
 * is most of building an event; the bound keeps a caller that sends ever-new values (field names
 * or routes taken from input) from growing memory, at worst costing the uncached check.
 */
export function boundedMemo<T extends string | number>(compute: (key: string) => T, limit: number): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = compute(key);
    if (memo.size < limit) memo.set(key, value);
    return value;
  };
}
