import { isPortcullisError, PortcullisError } from 'portcullis/errors';
import type { CliIo } from './cli-io.js';
import { USAGE } from './usage.js';
import { usersCreate } from './users-create.js';
import { usersUnlock } from './users-unlock.js';
import { routesList } from './routes-list.js';
import { auditVerify } from './audit-verify.js';

/**
 * Command dispatch and the CLI's one error policy: a refusal or an operational failure is a single
 * `error: ...` line on stderr (exit 2 for usage, 1 otherwise), never a stack trace; an unexpected
 * failure is also one line, naming its type so it can be reported.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Command = (args: readonly string[], io: CliIo) => Promise<void>;

const commands: Readonly<Record<string, Command>> = {
  'users create': usersCreate,
  'users unlock': usersUnlock,
  routes: routesList,
  'audit verify': auditVerify,
};

function isHelp(word: string | undefined): boolean {
  return word === undefined || word === 'help' || word === '--help' || word === '-h';
}

/** Names the unknown command only when it looks like one: a pasted secret must not be echoed. */
function describeUnknownCommand(...words: (string | undefined)[]): string {
  const typed = words.filter((word): word is string => word !== undefined);
  return typed.every((word) => /^[a-z][a-z-]{0,23}$/.test(word)) ? `unknown command "${typed.join(' ')}"` : 'unknown command';
}

/** Node's parseArgs errors, reworded as usage errors; their first sentence never holds a value. */
function fromParseArgsError(error: unknown): PortcullisError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const message = error instanceof Error ? error.message.split('. ')[0] ?? '' : '';
  return new PortcullisError('cli.usage', { detail: message.replace(/\.$/, ''), cause: error });
}

/** The driver's error code (ECONNREFUSED, SQLITE_CANTOPEN, ...) helps with storage failures only. */
function describeCause(error: PortcullisError): string {
  if (!error.code.startsWith('storage.')) return '';
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : '';
}

function report(error: unknown, io: CliIo): number {
  const coded = isPortcullisError(error) ? error : fromParseArgsError(error);
  if (coded === undefined) {
    const kind = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message.split('\n')[0] : '';
    io.stderr.write(`error: unexpected ${kind}${message ? `: ${message}` : ''}\n`);
    return EXIT_FAILURE;
  }
  if (coded.code === 'cli.usage') {
    io.stderr.write(`error: ${coded.detail ?? coded.message}\nrun "npm run cli -- help" for usage\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`error: ${coded.detail ?? coded.message}${describeCause(coded)}\n`);
  return EXIT_FAILURE;
}

/**
 * Runs one CLI invocation and returns its exit status; never throws.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, second, ...others] = argv;
  if (isHelp(first)) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  // One-word commands (`routes`) take everything after them; the others are two words.
  const oneWord = first !== undefined && Object.hasOwn(commands, first);
  const command = oneWord ? commands[first] : commands[`${first} ${second ?? ''}`.trim()];
  const rest = oneWord ? argv.slice(1) : others;
  try {
    if (command === undefined) throw new PortcullisError('cli.usage', { detail: describeUnknownCommand(first, second) });
    if (rest.length === 1 && isHelp(rest[0])) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    await command(rest, io);
    return EXIT_OK;
  } catch (error) {
    return report(error, io);
  }
}
