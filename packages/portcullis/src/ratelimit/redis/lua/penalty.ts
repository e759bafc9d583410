/**
 * The repeat-offender rule of ../../penalty.ts in Lua, pasted into the script variant for specs
 * with a penalty (specs without one run a variant that neither reads nor stores these fields), so
 * a decision with a penalty is still one round trip. Reads and updates the locals `violations`,
 * `since` (the time of the last refusal) and `blockedUntil`.
 */
import type { SpecValue } from './algorithm-lua.js';

export const penaltyFields: readonly string[] = ['violations', 'since', 'blockedUntil'];

export const penaltySpecValues: readonly SpecValue[] = [
  { name: 'penaltyAfter', of: (spec) => spec.penalty?.after ?? 0 },
  { name: 'penaltyBlockMs', of: (spec) => spec.penalty?.blockMs ?? 0 },
  { name: 'penaltyMaxBlockMs', of: (spec) => spec.penalty?.maxBlockMs ?? 0 },
  { name: 'penaltyDecayMs', of: (spec) => spec.penalty?.decayMs ?? 0 },
];

/** After a step: counts a refusal that cost something, which may block the key (outcome 2). */
export const recordViolation = `
if not allowed and cost > 0 then
  if violations > 0 and now >= since + penaltyDecayMs then violations = 0 end
  violations = violations + 1
  since = now
  if violations >= penaltyAfter then
    local doublings = violations - penaltyAfter
    if doublings > 40 then doublings = 40 end
    local blockMs = penaltyBlockMs * 2 ^ doublings
    if blockMs > penaltyMaxBlockMs then blockMs = penaltyMaxBlockMs end
    blockedUntil = now + blockMs
    if blockMs > 0 then
      outcome = 2
      if blockMs > retryAfterMs then retryAfterMs = blockMs end
    end
  end
end
`;

/** Keeps the state until the penalty can be forgotten too: raises `freshAt` to penaltyExpiresAt. */
export const keepForPenalty = `
if blockedUntil > freshAt then freshAt = blockedUntil end
if violations > 0 and since + penaltyDecayMs > freshAt then freshAt = since + penaltyDecayMs end
`;
