import { Worker } from 'node:worker_threads';
import { PortcullisError } from '../errors/index.js';
import { STRENGTH_WORKER_SOURCE } from './password-strength-worker-source.js';

/**
 * Runs zxcvbn-ts off the main thread, in one worker per process shared by every password policy.
 * Loading the dictionaries blocks ~160 ms and one estimate of a 64-character l33t-ish password
 * ~20-100 ms of CPU (measured here), which on the main thread stalls every request of an API
 * server. The worker starts on first use, is unref'd (an idle worker never keeps the process
 * alive; the timers of a pending request do) and is started again after it dies. Requests queue
 * here, not in the worker, and run one at a time: at most STRENGTH_QUEUE_LIMIT wait or run, more
 * are refused at once with `service.overloaded`, and one still unanswered after
 * STRENGTH_TIMEOUT_MS is refused the same way and dropped from the queue before it costs the
 * worker anything. An estimate that runs that long is taken to be stuck and its worker replaced.
 */

/** The most code points handed to zxcvbn; the rest of the password is not estimated. */
export const STRENGTH_ESTIMATE_MAX_CHARACTERS = 64;
/** Most estimates waiting or running at once; a flood beyond it is refused, not queued. */
export const STRENGTH_QUEUE_LIMIT = 64;
/** Longest a caller waits for an estimate (queue included) before it is refused. */
export const STRENGTH_TIMEOUT_MS = 2_000;
/** Longest the worker may take to load the dictionaries, which takes ~160 ms here. */
const STARTUP_TIMEOUT_MS = 15_000;

/** How the worker builds zxcvbn, besides the dictionaries; exported so a test can build the same on the main thread. */
export const STRENGTH_ESTIMATE_OPTIONS: Readonly<{ l33tMaxSubstitutions: number; maxLength: number }> = Object.freeze({
  // 20 substitutions score our l33t samples the same as the default 100 at a fifth of the worst case.
  l33tMaxSubstitutions: 20,
  // A backstop in UTF-16 units: 64 code points are at most 128 of them.
  maxLength: STRENGTH_ESTIMATE_MAX_CHARACTERS * 2,
});

type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'estimate'; readonly id: number; readonly score: number | undefined }
  | { readonly kind: 'common'; readonly text: string };

function overloaded(): PortcullisError {
  return new PortcullisError('service.overloaded');
}

function unavailable(cause: unknown): PortcullisError {
  return new PortcullisError('service.unavailable', { cause });
}

/** One estimate a caller awaits; settles once, whichever of reply, deadline or worker death comes first. */
class Estimate {
  private settled = false;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    readonly id: number,
    readonly password: string,
    readonly userInputs: readonly string[],
    private readonly resolve: (score: number) => void,
    private readonly reject: (error: PortcullisError) => void,
  ) {
    this.deadline = setTimeout(() => {
      const waiting = queue.indexOf(this);
      if (waiting !== -1) queue.splice(waiting, 1);
      this.fail(overloaded());
    }, STRENGTH_TIMEOUT_MS);
  }

  succeed(score: number): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.resolve(score);
  }

  fail(error: PortcullisError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.reject(error);
  }
}

interface Pending<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: PortcullisError) => void;
}

/** A promise settled from outside; a rejection nobody awaits is not reported as unhandled. */
function pending<T>(): Pending<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: PortcullisError) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** One worker from start to exit. */
interface WorkerLife {
  readonly worker: Worker;
  readonly ready: Pending<void>;
  readonly startup: NodeJS.Timeout;
  /** Why it is ending, when known before it exits. */
  cause: unknown;
  loaded: boolean;
  running: Estimate | undefined;
  watchdog: NodeJS.Timeout | undefined;
  common: (Pending<string> & { readonly timer: NodeJS.Timeout }) | undefined;
}

const queue: Estimate[] = [];
let life: WorkerLife | undefined;
let nextId = 1;

function startWorker(): WorkerLife {
  if (life !== undefined) return life;
  let worker: Worker;
  try {
    // Resolved here, where the package is a dependency; eval'd code has no module of its own to resolve from.
    const workerData = {
      coreUrl: import.meta.resolve('@zxcvbn-ts/core'),
      commonUrl: import.meta.resolve('@zxcvbn-ts/language-common'),
      options: STRENGTH_ESTIMATE_OPTIONS,
    };
    // No execArgv: the worker runs plain JavaScript and needs none of the parent's loaders (tsx, ...).
    worker = new Worker(STRENGTH_WORKER_SOURCE, { eval: true, workerData, execArgv: [] });
  } catch (error) {
    throw unavailable(error);
  }
  const current: WorkerLife = {
    worker,
    ready: pending<void>(),
    // Ref'd, like every timer here: it keeps an `await prepare()` alive, and only until the load ends.
    startup: setTimeout(() => {
      current.cause = new Error('the password strength worker did not load in time');
      void worker.terminate();
    }, STARTUP_TIMEOUT_MS),
    cause: undefined,
    loaded: false,
    running: undefined,
    watchdog: undefined,
    common: undefined,
  };
  worker.on('message', (reply: WorkerReply) => receive(current, reply));
  worker.on('error', (error) => {
    current.cause = error;
  });
  worker.on('exit', (code) => ended(current, current.cause ?? new Error(`the password strength worker exited with code ${code}`)));
  // After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  life = current;
  return current;
}

function receive(current: WorkerLife, reply: WorkerReply): void {
  switch (reply.kind) {
    case 'ready':
      clearTimeout(current.startup);
      current.loaded = true;
      current.ready.resolve();
      runNext();
      return;
    case 'failed':
      clearTimeout(current.startup);
      current.cause = new Error(reply.reason);
      void current.worker.terminate();
      return;
    case 'estimate': {
      const estimate = current.running;
      if (estimate === undefined || estimate.id !== reply.id) return;
      clearTimeout(current.watchdog);
      current.running = undefined;
      if (typeof reply.score === 'number') estimate.succeed(reply.score);
      else estimate.fail(new PortcullisError('internal.unexpected'));
      runNext();
      return;
    }
    case 'common':
      if (current.common === undefined) return;
      clearTimeout(current.common.timer);
      current.common.resolve(reply.text);
      current.common = undefined;
  }
}

/** Whatever the cause (crash, timeout, terminate), every request the dead worker held is refused. */
function ended(dead: WorkerLife, cause: unknown): void {
  clearTimeout(dead.startup);
  clearTimeout(dead.watchdog);
  if (life === dead) life = undefined;
  const error = unavailable(cause);
  dead.ready.reject(error);
  dead.running?.fail(error);
  dead.running = undefined;
  if (dead.common !== undefined) {
    clearTimeout(dead.common.timer);
    dead.common.reject(error);
  }
  // A worker that never loaded would fail again for the same reason: refuse what waits, retry on the next request.
  if (!dead.loaded) for (const estimate of queue.splice(0)) estimate.fail(error);
  else runNext();
}

/** Sends the oldest waiting estimate to the worker once it is loaded and idle, starting it if needed. */
function runNext(): void {
  if (queue.length === 0) return;
  let current: WorkerLife;
  try {
    current = startWorker();
  } catch (error) {
    for (const estimate of queue.splice(0)) estimate.fail(error as PortcullisError);
    return;
  }
  if (!current.loaded || current.running !== undefined) return;
  const estimate = queue.shift() as Estimate;
  current.running = estimate;
  current.watchdog = setTimeout(() => {
    estimate.fail(overloaded());
    current.cause = new Error('a password strength estimate ran too long');
    void current.worker.terminate();
  }, STRENGTH_TIMEOUT_MS);
  current.worker.postMessage({ kind: 'estimate', id: estimate.id, password: estimate.password, userInputs: estimate.userInputs });
}

/**
 * The zxcvbn score (0..4) of `password` given `userInputs`, computed in the worker. Refuses with
 * `service.overloaded` when STRENGTH_QUEUE_LIMIT estimates are already pending or the answer takes
 * over STRENGTH_TIMEOUT_MS, and with `service.unavailable` when the worker cannot load or dies.
 *
 * @example
 * const score = await estimateStrength('correcthorse12', ['jane']);
 */
export function estimateStrength(password: string, userInputs: readonly string[]): Promise<number> {
  const busy = queue.length + (life?.running === undefined ? 0 : 1);
  if (busy >= STRENGTH_QUEUE_LIMIT) return Promise.reject(overloaded());
  return new Promise<number>((resolve, reject) => {
    queue.push(new Estimate(nextId++, password, [...userInputs], resolve, reject));
    runNext();
  });
}

/**
 * zxcvbn-ts's common-password list as loaded in the worker, one entry per line, so the main thread
 * never parses the dictionary module (~40 ms of blocking here).
 *
 * @example
 * const entries = (await commonPasswordsText()).split('\n');
 */
export function commonPasswordsText(): Promise<string> {
  let current: WorkerLife;
  try {
    current = startWorker();
  } catch (error) {
    return Promise.reject(error);
  }
  if (current.common !== undefined) return current.common.promise;
  const request = pending<string>();
  const timer = setTimeout(() => {
    if (current.common?.promise !== request.promise) return;
    current.common = undefined;
    request.reject(overloaded());
  }, STARTUP_TIMEOUT_MS);
  current.common = { ...request, timer };
  current.worker.postMessage({ kind: 'common' });
  return request.promise;
}

/**
 * Starts the worker if it is not running and resolves once its dictionaries are loaded.
 *
 * @example
 * await prepareStrengthEstimator();
 */
export function prepareStrengthEstimator(): Promise<void> {
  try {
    return startWorker().ready.promise;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Terminates the worker as if it had died, so tests can show what is pending is refused and the
 * next request starts a new one. Resolves once it has exited.
 *
 * @example
 * await terminateStrengthWorker();
 */
export async function terminateStrengthWorker(): Promise<void> {
  await life?.worker.terminate();
}

/** The running worker's thread id, or undefined when none is running; for tests. */
export function strengthWorkerThreadId(): number | undefined {
  return life?.worker.threadId;
}
