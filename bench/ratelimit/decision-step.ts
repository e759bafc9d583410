/**
 * One decision of a closed loop over the key list, as the wall-clock bench (measure.ts) and the
 * instruction count (count-worker.ts) both run it for promise-based contenders: take the next key,
 * decide, count an admission, count a failure that is not the library's way of refusing.
 */
import type { AsyncDecider } from './limiters.ts';

/** Where in the key list the next decision starts, kept across phases. */
export interface KeyCursor {
  next: number;
}

export interface DecisionTally {
  decisions: number;
  admitted: number;
  errors: number;
  firstError: string | null;
}

export const emptyTally = (): DecisionTally => ({ decisions: 0, admitted: 0, errors: 0, firstError: null });

export async function decideNext(decider: AsyncDecider<unknown>, keys: readonly string[], cursor: KeyCursor, tally: DecisionTally): Promise<void> {
  const key = keys[cursor.next]!;
  cursor.next = cursor.next + 1 === keys.length ? 0 : cursor.next + 1;
  try {
    if (decider.admitted(await decider.decide(key))) tally.admitted += 1;
  } catch (error) {
    if (!decider.isRefusal(error)) {
      tally.errors += 1;
      tally.firstError ??= String(error);
    }
  }
  tally.decisions += 1;
}
