import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { isPortcullisError, type FieldError } from '../errors/index.js';
import { createPasswordPolicy, strengthEstimatesRun, type PasswordPolicyOptions } from './password-policy.js';
import {
  STRENGTH_ESTIMATE_OPTIONS,
  STRENGTH_QUEUE_LIMIT,
  STRENGTH_TIMEOUT_MS,
  estimateStrength,
  strengthWorkerThreadId,
  terminateStrengthWorker,
} from './password-strength-estimator.js';

const STRONG = 'vivid-lantern-oxygen-marble-91';
/** 64 characters of repeated l33t: one of the slowest inputs zxcvbn gets here (~20-100 ms). */
const SLOW = 'p@ssw0rd'.repeat(8);
const JANE = { email: 'jane.doe@example.com', name: 'Jane Doe' };
/** Each rule alone: every other rule turned off. */
const ONLY_LENGTH: PasswordPolicyOptions = { commonPasswords: false, minStrength: false, personalInfo: false };

function codes(errors: readonly FieldError[]): string[] {
  return errors.map((error) => error.code).sort();
}

function isConfigInvalid(error: unknown): boolean {
  return isPortcullisError(error) && error.code === 'config.invalid';
}

function errorCode(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'fulfilled') return 'fulfilled';
  return isPortcullisError(outcome.reason) ? outcome.reason.code : String(outcome.reason);
}

/** Five words drawn at random from a 7,776-word list: about 64 bits. */
function randomPassphrase(): string {
  const words = dictionary['diceware-common'];
  return Array.from({ length: 5 }, () => words[randomInt(words.length)]).join('-');
}

describe('createPasswordPolicy: each rule', () => {
  it('accepts a strong passphrase with the defaults, with or without personal context', async () => {
    const policy = createPasswordPolicy();
    assert.deepEqual(await policy.check(STRONG), []);
    assert.deepEqual(await policy.check(STRONG, JANE), []);
    for (let i = 0; i < 5; i += 1) assert.deepEqual(await policy.check(randomPassphrase(), JANE), []);
  });

  it('refuses well-known passwords', async () => {
    const policy = createPasswordPolicy();
    for (const password of ['password1234', 'Password123!', 'qwertyuiop12']) {
      const errors = await policy.check(password);
      assert.ok(codes(errors).includes('password.common'), password);
    }
  });

  it('length: 12 to 128 code points after NFKC by default, both bounds adjustable', async () => {
    const policy = createPasswordPolicy(ONLY_LENGTH);
    assert.deepEqual(codes(await policy.check('a'.repeat(11))), ['password.too_short']);
    assert.deepEqual(await policy.check('a'.repeat(12)), []);
    assert.deepEqual(await policy.check('a'.repeat(128)), []);
    assert.deepEqual(codes(await policy.check('a'.repeat(129))), ['password.too_long']);
    // Twelve 4-byte characters are 12 code points, not 24 UTF-16 units or 48 bytes.
    assert.deepEqual(await policy.check('\u{1F511}'.repeat(12)), []);
    assert.deepEqual(codes(await policy.check('\u{1F511}'.repeat(11))), ['password.too_short']);
    // U+FDFA becomes 18 code points under NFKC: 8 of them are 144, over the cap.
    assert.deepEqual(codes(await policy.check('\uFDFA'.repeat(8))), ['password.too_long']);

    const adjusted = createPasswordPolicy({ ...ONLY_LENGTH, minLength: 16, maxLength: 20 });
    assert.deepEqual(codes(await adjusted.check('a'.repeat(15))), ['password.too_short']);
    assert.deepEqual(codes(await adjusted.check('a'.repeat(21))), ['password.too_long']);
    assert.deepEqual(await createPasswordPolicy({ ...ONLY_LENGTH, minLength: 0 }).check(''), []);
  });

  it('blocklist: common passwords and trivial variations, case-insensitively', async () => {
    const policy = createPasswordPolicy({ minLength: 0, minStrength: false, personalInfo: false });
    for (const password of ['letmein', 'LetMeIn', 'dragon2024!!', '!!Dragon2024', 'P@ssw0rd2024!!', 'Sh@d0w-2024']) {
      assert.deepEqual(codes(await policy.check(password)), ['password.common'], password);
    }
    assert.deepEqual(await policy.check(STRONG), []);
    // A short core is not a "variation": a random tail behind one letter is not a common password.
    assert.deepEqual(await policy.check('a7$kQ!2#x9'), []);
  });

  it('blocklist: the extra list is matched the same way, and the common list can be turned off', async () => {
    const base: PasswordPolicyOptions = { minStrength: false, personalInfo: false };
    const password = 'Portcullis2024!!';
    assert.deepEqual(await createPasswordPolicy(base).check(password), []);
    const withExtra = createPasswordPolicy({ ...base, blocklist: new Set(['PORTCULLIS']) });
    assert.deepEqual(codes(await withExtra.check(password)), ['password.common']);
    assert.deepEqual(await createPasswordPolicy({ ...base, commonPasswords: false }).check('password1234'), []);
    const onlyExtra = createPasswordPolicy({ ...base, commonPasswords: false, blocklist: ['portcullis'] });
    assert.deepEqual(codes(await onlyExtra.check(password)), ['password.common']);
    assert.deepEqual(await onlyExtra.check('password1234'), []);
  });

  it('strength: zxcvbn score 3 by default, adjustable, or off', async () => {
    const weak = 'abcabcabcabc1';
    const options: PasswordPolicyOptions = { commonPasswords: false, personalInfo: false };
    assert.deepEqual(codes(await createPasswordPolicy(options).check(weak)), ['password.too_weak']);
    assert.deepEqual(await createPasswordPolicy({ ...options, minStrength: 0 }).check(weak), []);
    assert.deepEqual(await createPasswordPolicy({ ...options, minStrength: false }).check(weak), []);
    // Scores exactly 3: accepted by default, refused at 4.
    assert.deepEqual(await createPasswordPolicy(options).check('correcthorse12'), []);
    assert.deepEqual(codes(await createPasswordPolicy({ ...options, minStrength: 4 }).check('correcthorse12')), ['password.too_weak']);
  });

  it('strength: zxcvbn is told the email and name, so a password built on them scores lower', async () => {
    // Scores 4 alone and 3 once zxcvbn knows the name.
    const password = 'JaneDoe.Example';
    const options: PasswordPolicyOptions = { commonPasswords: false, personalInfo: false, minStrength: 4 };
    assert.deepEqual(await createPasswordPolicy(options).check(password), []);
    assert.deepEqual(codes(await createPasswordPolicy(options).check(password, JANE)), ['password.too_weak']);
  });

  it('personal information: the email local part or the name, case-insensitively, from 4 characters', async () => {
    const policy = createPasswordPolicy({ commonPasswords: false, minStrength: false });
    for (const password of ['river-JANE-oxygen-77', 'river-jane.doe-oxygen', 'river-janedoe-oxygen', 'river-Jane Doe-oxygen']) {
      assert.deepEqual(codes(await policy.check(password, JANE)), ['password.contains_personal_info'], password);
    }
    assert.deepEqual(await policy.check('river-doe-oxygen-77', { email: 'doe@example.com', name: 'Bob' }), []);
    assert.deepEqual(codes(await policy.check('river-bob-oxygen-77', { email: 'x@example.com', name: 'Bob Stone' })), []);
    assert.deepEqual(codes(await policy.check('river-stone-oxygen-77', { email: 'x@example.com', name: 'Bob Stone' })), [
      'password.contains_personal_info',
    ]);
    // The tag of a plus address and the domain are not the person.
    assert.deepEqual(await policy.check('example-river-oxygen', { email: 'jo+example@example.com' }), []);
    const stricter = createPasswordPolicy({ commonPasswords: false, minStrength: false, personalInfoMinLength: 3 });
    assert.deepEqual(codes(await stricter.check('river-bob-oxygen-77', { name: 'Bob' })), ['password.contains_personal_info']);
    const off = createPasswordPolicy({ commonPasswords: false, minStrength: false, personalInfo: false });
    assert.deepEqual(await off.check('river-JANE-oxygen-77', JANE), []);
  });

  it('reports every failing rule, not just the first', async () => {
    const errors = await createPasswordPolicy().check('jane1234', JANE);
    assert.deepEqual(codes(errors), ['password.common', 'password.contains_personal_info', 'password.too_short', 'password.too_weak']);
    for (const error of errors) assert.equal(error.field, 'password');
  });

  it('ignores context values that are not strings instead of throwing', async () => {
    const context = { email: 42, name: { toString: () => 'x' } } as unknown as { email: string; name: string };
    assert.deepEqual(await createPasswordPolicy().check(STRONG, context), []);
  });
});

describe('createPasswordPolicy: bounded work', () => {
  it('refuses a 10,000-character password on length alone, without running zxcvbn', async () => {
    const policy = createPasswordPolicy();
    const before = strengthEstimatesRun();
    await policy.prepare();
    assert.deepEqual(codes(await policy.check('x'.repeat(10_000), JANE)), ['password.too_long']);
    assert.deepEqual(codes(await policy.check('\u{1F511}'.repeat(10_000))), ['password.too_long']);
    assert.equal(strengthEstimatesRun(), before);
    // The counter does move when zxcvbn runs, so the assertion above can fail.
    await policy.check('y'.repeat(128));
    assert.equal(strengthEstimatesRun(), before + 1);
  });
});

describe('createPasswordPolicy: options', () => {
  it('refuses invalid options with config.invalid', () => {
    const invalid: unknown[] = [
      null,
      'strict',
      { minLength: -1 },
      { minLength: 1.5 },
      { minLength: 20, maxLength: 16 },
      { maxLength: 0 },
      { maxLength: 129 },
      { maxLength: Number.NaN },
      { minStrength: 5 },
      { minStrength: -1 },
      { minStrength: 2.5 },
      { minStrength: true },
      { commonPasswords: 'yes' },
      { personalInfo: 1 },
      { personalInfoMinLength: 0 },
      { blocklist: 'password' },
      { blocklist: [42] },
      { blocklist: ['  '] },
      { minlength: 12 },
    ];
    for (const options of invalid) {
      assert.throws(() => createPasswordPolicy(options as PasswordPolicyOptions), isConfigInvalid, JSON.stringify(options));
    }
  });

  it('accepts every documented option', () => {
    createPasswordPolicy({
      minLength: 8,
      maxLength: 64,
      commonPasswords: true,
      blocklist: ['acme'],
      minStrength: 2,
      personalInfo: true,
      personalInfoMinLength: 5,
    });
    createPasswordPolicy({ minStrength: false });
  });
});

describe('createPasswordPolicy: any input', () => {
  const anyCharacter = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
  const passwords = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 140 }),
    fc.string({ unit: anyCharacter, maxLength: 140 }),
    fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
    fc.tuple(fc.constantFrom('password', 'dragon', 'letmein', 'jane.doe'), fc.string({ maxLength: 8 })).map(([a, b]) => a + b),
  );
  const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });
  const contexts = maybe(fc.record({ email: maybe(fc.string({ maxLength: 40 })), name: maybe(fc.string()) }));

  it('never throws, and every message is the fixed text for its code (so none echoes the password)', async () => {
    const policy = createPasswordPolicy();
    const messages = new Map<string, string>();
    for (const [password, context] of [['', undefined], ['x'.repeat(200), undefined], ['password1234', undefined], ['jane-x', JANE]] as const) {
      for (const error of await policy.check(password, context)) messages.set(error.code, error.message);
    }
    assert.deepEqual([...messages.keys()].sort(), [
      'password.common',
      'password.contains_personal_info',
      'password.too_long',
      'password.too_short',
      'password.too_weak',
    ]);
    await fc.assert(
      fc.asyncProperty(passwords, contexts, async (password, context) => {
        const errors = await policy.check(password, context);
        for (const error of errors) {
          assert.equal(error.field, 'password');
          // Equal to the text seen for fixed inputs: no message depends on, or contains, the password.
          assert.equal(error.message, messages.get(error.code));
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Recorded from the policy as it was before the estimate moved to a worker (zxcvbn on the main
 * thread): the codes with the defaults, and the score as the highest minStrength accepted.
 */
const BEFORE_THE_WORKER: readonly [password: string, context: typeof JANE | undefined, codes: string[], score: number][] = [
  ['password1234', undefined, ['password.common', 'password.too_weak'], 1],
  ['Password123!', undefined, ['password.common', 'password.too_weak'], 1],
  ['qwertyuiop12', undefined, ['password.common', 'password.too_weak'], 1],
  ['abcabcabcabc1', undefined, ['password.too_weak'], 1],
  ['correcthorse12', undefined, [], 3],
  ['letmein', undefined, ['password.common', 'password.too_short', 'password.too_weak'], 0],
  ['P@ssw0rd2024!!', undefined, ['password.common'], 3],
  ['vivid-lantern-oxygen-marble-91', undefined, [], 4],
  ['vivid-lantern-oxygen-marble-91', JANE, [], 4],
  ['JaneDoe.Example', undefined, [], 4],
  ['JaneDoe.Example', JANE, ['password.contains_personal_info'], 3],
  ['jane1234', JANE, ['password.common', 'password.contains_personal_info', 'password.too_short', 'password.too_weak'], 1],
  ['river-JANE-oxygen-77', JANE, ['password.contains_personal_info'], 4],
  ['Tr0ub4dor&3xyz', undefined, [], 4],
  ['zxcvbnmasdfgh', undefined, ['password.too_weak'], 1],
  ['1q2w3e4r5t6y', undefined, ['password.common', 'password.too_weak'], 1],
  ['aaaaaaaaaaaa', undefined, ['password.too_weak'], 0],
  [SLOW, undefined, ['password.too_weak'], 0],
  ['kW9#vLq2!pZr7@Tx-some-longer-passphrase-here-xyz-1234567890-abcdefghijkl', undefined, [], 4],
  ['\u{1F511}'.repeat(12), undefined, ['password.too_weak'], 1],
  ['ÉtéÀParisCafé2019', undefined, [], 4],
  ['y'.repeat(128), undefined, ['password.too_weak'], 0],
  ['Football#2020', undefined, ['password.common', 'password.too_weak'], 2],
  ['starwarsfan11', undefined, ['password.too_weak'], 2],
  ['monkeybanana7', undefined, [], 3],
  ['\uD800lone-surrogate-x1', undefined, [], 4],
];

describe('createPasswordPolicy: the strength estimate runs in a worker thread', () => {
  it('gives the same results as zxcvbn on the main thread did', async () => {
    const policy = createPasswordPolicy();
    const strengthOnly = [1, 2, 3, 4].map((minStrength) =>
      createPasswordPolicy({ minLength: 0, commonPasswords: false, personalInfo: false, minStrength }),
    );
    for (const [password, context, expected, score] of BEFORE_THE_WORKER) {
      assert.deepEqual(codes(await policy.check(password, context)), expected, password);
      for (const [index, only] of strengthOnly.entries()) {
        const accepted = (await only.check(password, context)).length === 0;
        assert.equal(accepted, index + 1 <= score, `${password} at minStrength ${index + 1}`);
      }
    }
  });

  it('scores any input exactly as zxcvbn with the same options does on this thread', async () => {
    const zxcvbn = new ZxcvbnFactory({ ...STRENGTH_ESTIMATE_OPTIONS, dictionary, graphs: adjacencyGraphs });
    const inputs = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.string({ unit: 'grapheme-composite', maxLength: 20 }),
      fc.tuple(fc.constantFrom('p@ssw0rd', 'dragon', 'Tr0ub4dor', 'qwerty'), fc.string({ maxLength: 20 })).map(([a, b]) => a + b),
    );
    await fc.assert(
      fc.asyncProperty(inputs, fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), async (password, userInputs) => {
        assert.equal(await estimateStrength(password, userInputs), zxcvbn.check(password, userInputs).score);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the event loop free while 20 slow checks run at once', async () => {
    const policy = createPasswordPolicy();
    await policy.prepare();
    // Other processes on the machine only ever add delay, so the best of up to five attempts is what
    // the policy itself costs; zxcvbn on this thread blocked the loop ~470 ms in every attempt.
    const maxima: number[] = [];
    for (let attempt = 0; attempt < 5 && !(maxima.at(-1)! < 30); attempt += 1) {
      const delay = monitorEventLoopDelay({ resolution: 2 });
      delay.enable();
      await sleep(20);
      const before = strengthEstimatesRun();
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => policy.check(SLOW)));
      await sleep(20);
      delay.disable();
      maxima.push(delay.max / 1e6);
      assert.equal(strengthEstimatesRun(), before + 20);
      // On a starved machine the last few may pass their deadline; the work itself must have run.
      const finished = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      assert.ok(finished.length >= 10, outcomes.map(errorCode).join(', '));
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') assert.deepEqual(codes(outcome.value), ['password.too_weak']);
        else assert.equal(errorCode(outcome), 'service.overloaded');
      }
    }
    assert.ok(maxima.at(-1)! < 30, `event-loop delay max per attempt (ms): ${maxima.map((ms) => ms.toFixed(1)).join(', ')}`);
  });

  it('refuses a flood beyond the queue bound with service.overloaded at once, and every check settles', async () => {
    const policy = createPasswordPolicy({ commonPasswords: false, personalInfo: false });
    await policy.prepare();
    const flood = 100;
    const order: string[] = [];
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: flood }, () =>
        policy.check(SLOW).then(
          (errors) => {
            order.push('fulfilled');
            return errors;
          },
          (error: unknown) => {
            order.push(isPortcullisError(error) ? error.code : 'other');
            throw error;
          },
        ),
      ),
    );
    const elapsed = performance.now() - started;
    const refused = flood - STRENGTH_QUEUE_LIMIT;
    // Refused before any queued estimate came back: nothing waited for the worker to be refused.
    assert.deepEqual(order.slice(0, refused), Array(refused).fill('service.overloaded'));
    // The rest either finished or passed their deadline; nothing else went wrong and nothing hung.
    for (const outcome of outcomes) assert.ok(['fulfilled', 'service.overloaded'].includes(errorCode(outcome)), errorCode(outcome));
    assert.ok(outcomes.some((outcome) => outcome.status === 'fulfilled'));
    assert.ok(elapsed < STRENGTH_TIMEOUT_MS * 2, `${elapsed.toFixed(0)} ms`);
    assert.deepEqual(await policy.check(STRONG), []);
  });

  it('starts a new worker after the worker dies, refusing only the estimate it was running', async () => {
    const policy = createPasswordPolicy({ commonPasswords: false, personalInfo: false });
    await policy.prepare();
    const first = strengthWorkerThreadId();
    assert.ok(first !== undefined);

    await terminateStrengthWorker();
    assert.equal(strengthWorkerThreadId(), undefined);
    assert.deepEqual(await policy.check(STRONG), []);
    const second = strengthWorkerThreadId();
    assert.ok(second !== undefined && second !== first);

    // The first check is sent to the worker at once; the other two wait in the queue.
    const checks = Array.from({ length: 3 }, () => policy.check(SLOW));
    await terminateStrengthWorker();
    const outcomes = await Promise.allSettled(checks);
    assert.deepEqual(outcomes.map(errorCode), ['service.unavailable', 'fulfilled', 'fulfilled']);
    for (const outcome of outcomes.slice(1)) {
      assert.deepEqual(outcome.status === 'fulfilled' && codes(outcome.value), ['password.too_weak']);
    }
    const third = strengthWorkerThreadId();
    assert.ok(third !== undefined && third !== second);
  });

  it('never keeps the process alive once the checks are answered, and never writes the password out', () => {
    const module = new URL('./password-policy.ts', import.meta.url).href;
    const script = [
      `const { createPasswordPolicy } = await import(${JSON.stringify(module)});`,
      'const policy = createPasswordPolicy();',
      'await policy.prepare();',
      `const errors = await policy.check(${JSON.stringify(SLOW)});`,
      "console.log(errors.map((error) => error.code).join(','));",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', '--input-type=module', '--eval', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.signal, null, 'the process did not exit by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'password.too_weak\n');
    assert.ok(!child.stderr.includes('p@ssw0rd'));
  });
});
