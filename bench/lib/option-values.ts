/** Flag and environment values shared by every bench's option parser. */

/** A positive number (an integer when `integer`), or undefined when not given; throws a RangeError naming the option. */
export function positiveNumber(raw: string | undefined, name: string, integer: boolean): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list, trimmed, empty items dropped. */
export function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}
