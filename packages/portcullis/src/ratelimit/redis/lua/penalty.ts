/**
 * The repeat-offender rule of ../../penalty.ts in Lua, folded into every decide script so a
 * decision with a penalty is still one round trip. Reads and updates the locals `violations`,
 * `since` (the time of the last refusal) and `blockedUntil`; `penaltyAfter` is 0 when the spec has no penalty.
 */

export const penaltyLua = `
local function recordViolation()
  if violations > 0 and now >= since + penaltyDecayMs then violations = 0 end
  violations = violations + 1
  since = now
  if violations < penaltyAfter then return 0 end
  local doublings = math.min(violations - penaltyAfter, 40)
  local blockMs = math.min(penaltyMaxBlockMs, penaltyBlockMs * 2 ^ doublings)
  blockedUntil = now + blockMs
  return blockMs
end

local function penaltyExpiresAt()
  local decayEnd = 0
  if violations > 0 then decayEnd = since + penaltyDecayMs end
  return math.max(decayEnd, blockedUntil)
end
`;
