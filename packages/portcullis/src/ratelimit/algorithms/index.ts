import type { AlgorithmName, NormalisedLimit } from '../types.js';
import { refundFixedWindow, stepFixedWindow } from './fixed-window.js';
import { refundGcra, stepGcra } from './gcra.js';
import type { LimitState, StepResult } from './limit-state.js';
import { refundSlidingCounter, stepSlidingCounter } from './sliding-counter.js';
import { refundSlidingLog, stepSlidingLog } from './sliding-log.js';
import { refundTokenBucket, stepTokenBucket } from './token-bucket.js';

export { LimitState, type StepResult } from './limit-state.js';

export interface Algorithm {
  /**
   * Decides `cost` at `now` and updates `state`; writes the outcome into `out`. `windowStart` is
   * the start of the `windowMs` window holding `now` (a multiple of `windowMs` since the epoch),
   * which the limiter keeps for all its keys and recomputes once per window: fixed-window (but for
   * calendar months) and sliding-counter read it instead of computing `now % windowMs`, a
   * floating-point remainder (x87 FPREM, tens of cycles) on every decision.
   */
  step(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult, windowStart: number): void;
  /** Gives back `cost` units; returns milliseconds until the state is fresh again. */
  refund(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number;
}

export const algorithms: Readonly<Record<AlgorithmName, Algorithm>> = Object.freeze({
  'fixed-window': { step: stepFixedWindow, refund: refundFixedWindow },
  'sliding-log': { step: stepSlidingLog, refund: refundSlidingLog },
  'sliding-counter': { step: stepSlidingCounter, refund: refundSlidingCounter },
  'token-bucket': { step: stepTokenBucket, refund: refundTokenBucket },
  gcra: { step: stepGcra, refund: refundGcra },
});
