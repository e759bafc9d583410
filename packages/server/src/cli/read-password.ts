import { PortcullisError } from 'portcullis/errors';

/**
 * Reads a password from stdin without it ever touching argv, the environment or the screen.
 * Piped input: the first line, exactly as given (only the line ending removed, so leading and
 * trailing spaces stay part of the password). A terminal: a prompt with echo off, asked twice.
 */

/** Far above the 128-character limit, low enough that a runaway pipe is not buffered whole. */
const MAX_LINE_BYTES = 4096;

function usage(detail: string): PortcullisError {
  return new PortcullisError('cli.usage', { detail });
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw usage('the password on stdin is not valid UTF-8');
  }
}

/** The first line of a non-interactive stream, without its line ending. */
export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const newline = buffer.indexOf(0x0a);
    chunks.push(newline === -1 ? buffer : buffer.subarray(0, newline));
    length += newline === -1 ? buffer.length : newline;
    if (length > MAX_LINE_BYTES) throw usage('the first line of stdin is too long to be a password');
    if (newline !== -1) break;
  }
  let line = Buffer.concat(chunks);
  if (chunks.length === 0) throw usage('no password on stdin: pipe it in, or run the command in a terminal');
  if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
  return decodeUtf8(line);
}

interface HiddenLineReader {
  /** Writes `question`, then resolves with the next line typed (never echoed). */
  next(question: string): Promise<string>;
  close(): void;
}

/**
 * Reads lines from a terminal in raw mode, so nothing typed is echoed. Raw mode stays on across
 * prompts (keys typed ahead are neither echoed nor lost); Ctrl-C cancels, Backspace and Ctrl-U edit.
 */
function hiddenLines(input: NodeJS.ReadStream, output: NodeJS.WritableStream): HiddenLineReader {
  const pending: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (error: PortcullisError) => void } | undefined;
  let typed: string[] = [];
  let failure: PortcullisError | undefined;

  const deliver = () => {
    if (waiting === undefined) return;
    const current = waiting;
    if (failure !== undefined) {
      waiting = undefined;
      current.reject(failure);
    } else if (pending.length > 0) {
      waiting = undefined;
      current.resolve(pending.shift() ?? '');
    }
  };
  const onData = (text: string) => {
    for (const character of text) {
      if (failure !== undefined) break;
      if (character === '\r' || character === '\n' || character === '\u0004') {
        pending.push(typed.join(''));
        typed = [];
        output.write('\n');
      } else if (character === '\u0003') {
        failure = usage('cancelled');
        output.write('\n');
      } else if (character === '\u007f' || character === '\b') typed.pop();
      else if (character === '\u0015') typed = [];
      else if (character >= ' ') typed.push(character);
      if (typed.length > MAX_LINE_BYTES) failure = usage('the password is too long');
    }
    deliver();
  };

  // Raw mode goes on before any prompt is shown, so not even the first key is echoed.
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.on('data', onData);
  input.resume();
  return {
    next(question) {
      output.write(question);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        deliver();
      });
    },
    close() {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    },
  };
}

/**
 * The new user's password: typed twice at a hidden prompt when stdin is a terminal, otherwise
 * the first line of stdin.
 */
export async function readNewPassword(input: NodeJS.ReadStream, promptTo: NodeJS.WritableStream): Promise<string> {
  if (!input.isTTY) return readFirstLine(input);
  const terminal = hiddenLines(input, promptTo);
  try {
    const first = await terminal.next('Password (input hidden): ');
    const second = await terminal.next('Repeat password: ');
    if (first !== second) throw usage('the two passwords do not match');
    return first;
  } finally {
    terminal.close();
  }
}
