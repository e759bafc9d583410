import { PortcullisError, type FieldError } from '../errors/index.js';
import { MAX_PASSWORD_CHARACTERS, normalisePassword } from './password-hash.js';
import {
  STRENGTH_ESTIMATE_MAX_CHARACTERS,
  commonPasswordsText,
  estimateStrength,
  prepareStrengthEstimator,
} from './password-strength-estimator.js';

export { STRENGTH_ESTIMATE_MAX_CHARACTERS };

/**
 * Which new passwords are acceptable (A1): length 12..128 code points after NFKC (the same form
 * and caps as hashing), an offline blocklist of common and breached passwords, a zxcvbn strength
 * estimate and no email or name inside. Every failing rule is reported, so the user fixes all of
 * them in one round. zxcvbn is synchronous and superlinear in the input (measured here: ~20-100 ms
 * at 64 characters with l33t substitutions capped at 20; ~100-350 ms at 128 with its defaults), so
 * an over-long password is refused on length alone before anything else runs, and zxcvbn only
 * ever sees the first 64 characters (a prefix rarely scores higher than the whole, so this errs
 * on the strict side). Even so, on the main thread 20 such checks stalled the event loop ~470 ms
 * and loading the dictionaries ~70 ms, long enough for the load shedder to refuse every other
 * request: a cheap denial of service by registration flood. So the estimate and the dictionaries
 * live in a worker thread (password-strength-estimator.ts) that refuses with `service.overloaded`
 * past a bounded queue or a deadline; only the capped prefix and the user inputs cross to it. The
 * common-password Set stays here for synchronous lookups, built from the worker's copy of the list
 * a slice at a time. Everything loads on first use or `prepare()`, not at import.
 */

export interface PasswordPolicyOptions {
  /** Fewest code points (after NFKC). Default 12; 0 turns the rule off. */
  readonly minLength?: number;
  /** Most code points. Default and ceiling 128, the most `hashPassword` accepts. */
  readonly maxLength?: number;
  /** Refuse the ~49,000 passwords of zxcvbn-ts's common list and trivial variations of them. Default true. */
  readonly commonPasswords?: boolean;
  /** More passwords to refuse (the product's name, ...), matched like the common list. */
  readonly blocklist?: Iterable<string>;
  /** Lowest zxcvbn score (0..4) accepted, or `false` to skip the estimate. Default 3. */
  readonly minStrength?: number | false;
  /** Refuse passwords containing the email's local part or the name. Default true. */
  readonly personalInfo?: boolean;
  /** Shortest email part or name that counts as personal information. Default 4. */
  readonly personalInfoMinLength?: number;
}

/** What is known about the account, for the personal-information rule and for zxcvbn. */
export interface PasswordContext {
  readonly email?: string;
  readonly name?: string;
}

export interface PasswordPolicy {
  /**
   * Every rule the password fails, as field errors on `password` (empty when it is acceptable).
   * Messages are fixed text and never contain the password. Rejects with `service.overloaded` (503)
   * when the strength estimator has too many estimates pending or does not answer in time, and
   * with `service.unavailable` when it cannot load.
   */
  check(password: string, context?: PasswordContext): Promise<FieldError[]>;
  /**
   * Starts the strength worker and loads the dictionaries the enabled rules need; await it at
   * start-up so the first check is not slower.
   */
  prepare(): Promise<void>;
}

interface ResolvedPolicy {
  readonly minLength: number;
  readonly maxLength: number;
  readonly commonPasswords: boolean;
  readonly blocklist: ReadonlySet<string>;
  readonly minStrength: number | false;
  readonly personalInfo: boolean;
  readonly personalInfoMinLength: number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'minLength',
  'maxLength',
  'commonPasswords',
  'blocklist',
  'minStrength',
  'personalInfo',
  'personalInfoMinLength',
]);

/** A variation's core must be this long to count, so a random tail behind "a" is not "common". */
const MIN_VARIATION_CORE = 4;
/** Longest email or name looked at: bounds the personal-information work whatever the caller passes. */
const MAX_CONTEXT_CHARACTERS = 256;

const EDGE_NON_LETTERS = /^[^\p{L}]+|[^\p{L}]+$/gu;
const WORD_SEPARATORS = /[^\p{L}\p{N}]+/u;
/** Common l33t substitutions, undone before the blocklist lookup. */
const UNLEET = new Map<string, string>([
  ['@', 'a'], ['4', 'a'], ['8', 'b'], ['(', 'c'], ['3', 'e'], ['6', 'g'], ['9', 'g'], ['1', 'i'],
  ['!', 'i'], ['|', 'l'], ['0', 'o'], ['$', 's'], ['5', 's'], ['7', 't'], ['+', 't'], ['2', 'z'],
]);

function invalid(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `password policy: ${detail}` });
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function caseless(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function resolveOptions(options: PasswordPolicyOptions): ResolvedPolicy {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw invalid(`unknown option "${key.slice(0, 40)}"`);
  }
  const {
    minLength = 12,
    maxLength = MAX_PASSWORD_CHARACTERS,
    commonPasswords = true,
    blocklist = [],
    minStrength = 3,
    personalInfo = true,
    personalInfoMinLength = 4,
  } = options;
  if (!isWhole(maxLength, 1, MAX_PASSWORD_CHARACTERS)) throw invalid(`maxLength must be an integer from 1 to ${MAX_PASSWORD_CHARACTERS}`);
  if (!isWhole(minLength, 0, maxLength)) throw invalid('minLength must be an integer from 0 to maxLength');
  if (typeof commonPasswords !== 'boolean') throw invalid('commonPasswords must be a boolean');
  if (minStrength !== false && !isWhole(minStrength, 0, 4)) throw invalid('minStrength must be an integer from 0 to 4, or false');
  if (typeof personalInfo !== 'boolean') throw invalid('personalInfo must be a boolean');
  if (!isWhole(personalInfoMinLength, 1, MAX_CONTEXT_CHARACTERS)) {
    throw invalid(`personalInfoMinLength must be an integer from 1 to ${MAX_CONTEXT_CHARACTERS}`);
  }
  if (typeof blocklist !== 'object' || blocklist === null || typeof (blocklist as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalid('blocklist must be an iterable of strings');
  }
  const extra = new Set<string>();
  for (const entry of blocklist as Iterable<unknown>) {
    if (typeof entry !== 'string' || entry.trim() === '') throw invalid('blocklist entries must be non-empty strings');
    extra.add(caseless(entry));
  }
  return { minLength, maxLength, commonPasswords, blocklist: extra, minStrength, personalInfo, personalInfoMinLength };
}

/** The password lowercased, without leading/trailing digits and symbols, and with l33t undone. */
function blocklistForms(lowered: string): Set<string> {
  const unleet = (text: string) => Array.from(text, (c) => UNLEET.get(c) ?? c).join('');
  const forms = new Set([lowered]);
  const core = lowered.replace(EDGE_NON_LETTERS, '');
  for (const variation of [core, unleet(core), unleet(lowered).replace(EDGE_NON_LETTERS, '')]) {
    if (codePoints(variation) >= MIN_VARIATION_CORE) forms.add(variation);
  }
  return forms;
}

/** The email's local part and the name, lowercased: whole, without separators, and word by word. */
function personalTerms(context: PasswordContext | undefined): string[] {
  const terms = new Set<string>();
  const add = (value: unknown, isEmail: boolean) => {
    if (typeof value !== 'string') return;
    let text = caseless(value.slice(0, MAX_CONTEXT_CHARACTERS));
    if (isEmail) {
      // The local part, without a "+tag"; a value with no "@" is taken as a local part already.
      const at = text.lastIndexOf('@');
      text = (at > 0 ? text.slice(0, at) : text).split('+')[0] ?? '';
    }
    const words = text.split(WORD_SEPARATORS).filter((word) => word !== '');
    for (const term of [text.trim(), words.join(''), ...words]) if (term !== '') terms.add(term);
  };
  add(context?.email, true);
  add(context?.name, false);
  return [...terms];
}

/** Memoises a lazy load, forgetting a failure so the next call retries instead of failing forever. */
function memoise<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      const loading = load();
      pending = loading;
      loading.catch(() => {
        if (pending === loading) pending = undefined;
      });
    }
    return pending;
  };
}

/** Entries added between two turns of the event loop: ~0.5 ms each here, where the whole list blocks 15-35 ms. */
const COMMON_PASSWORDS_PER_SLICE = 1_024;

const loadCommonPasswords = memoise(async (): Promise<ReadonlySet<string>> => {
  const text = await commonPasswordsText();
  const entries = new Set<string>();
  let from = 0;
  while (from < text.length) {
    for (let added = 0; added < COMMON_PASSWORDS_PER_SLICE && from < text.length; added += 1) {
      const newline = text.indexOf('\n', from);
      const to = newline === -1 ? text.length : newline;
      entries.add(caseless(text.slice(from, to)));
      from = to + 1;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return entries;
});

let estimatesRun = 0;

/**
 * How many zxcvbn estimates this process has requested from the worker, so a test can show which
 * inputs reached it.
 *
 * @example
 * const before = strengthEstimatesRun();
 * await policy.check('x'.repeat(10_000));
 * assert.equal(strengthEstimatesRun(), before);
 */
export function strengthEstimatesRun(): number {
  return estimatesRun;
}

function fieldError(code: string, message: string): FieldError {
  return { field: 'password', code, message };
}

/**
 * Builds a password policy for sign-up, reset and change. Throws `config.invalid` on an invalid
 * option (unknown name, out-of-range number, non-string blocklist entry), at start-up rather than
 * on the first request.
 *
 * @example
 * const policy = createPasswordPolicy({ blocklist: ['portcullis'], minStrength: 3 });
 * const problems = await policy.check(password, { email, name });
 * if (problems.length > 0) throw new PortcullisError('auth.password_rejected', { fieldErrors: problems });
 */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const policy = resolveOptions(options);

  async function check(password: string, context?: PasswordContext): Promise<FieldError[]> {
    if (typeof password !== 'string') return [fieldError('password.invalid', 'The password must be text.')];
    const normalised = normalisePassword(password);
    const length = normalised === undefined ? Infinity : codePoints(normalised);
    // Nothing else looks at an over-long password, which keeps the work per request bounded.
    if (normalised === undefined || length > policy.maxLength) {
      return [fieldError('password.too_long', `Use at most ${policy.maxLength} characters.`)];
    }
    const errors: FieldError[] = [];
    if (length < policy.minLength) {
      errors.push(fieldError('password.too_short', `Use at least ${policy.minLength} characters.`));
    }

    const lowered = normalised.toLowerCase();
    const lists = policy.commonPasswords ? [policy.blocklist, await loadCommonPasswords()] : [policy.blocklist];
    if ([...blocklistForms(lowered)].some((form) => lists.some((list) => list.has(form)))) {
      errors.push(fieldError('password.common', 'This password is too common or has appeared in a data breach; choose another.'));
    }

    const terms = personalTerms(context);
    if (policy.personalInfo && terms.some((term) => codePoints(term) >= policy.personalInfoMinLength && lowered.includes(term))) {
      errors.push(fieldError('password.contains_personal_info', 'The password must not contain your email address or name.'));
    }

    if (policy.minStrength !== false) {
      const estimated = Array.from(normalised).slice(0, STRENGTH_ESTIMATE_MAX_CHARACTERS).join('');
      estimatesRun += 1;
      if ((await estimateStrength(estimated, terms)) < policy.minStrength) {
        errors.push(fieldError('password.too_weak', 'This password is too easy to guess; a few unrelated words make a stronger one.'));
      }
    }
    return errors;
  }

  async function prepare(): Promise<void> {
    await Promise.all([
      policy.commonPasswords ? loadCommonPasswords() : undefined,
      policy.minStrength === false ? undefined : prepareStrengthEstimator(),
    ]);
  }

  return { check, prepare };
}
