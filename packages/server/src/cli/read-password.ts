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

interface Terminal {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WritableStream;
}

/** One hidden line from a terminal in raw mode; Ctrl-C cancels, Backspace and Ctrl-U edit. */
function promptHidden({ input, output }: Terminal, question: string): Promise<string> {
  output.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error: PortcullisError | undefined) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error === undefined) resolve(typed.join(''));
      else reject(error);
    };
    const onData = (text: string) => {
      for (const character of text) {
        if (character === '\r' || character === '\n' || character === '\u0004') return finish(undefined);
        if (character === '\u0003') return finish(usage('cancelled'));
        if (character === '\u007f' || character === '\b') typed.pop();
        else if (character === '\u0015') typed = [];
        else if (character >= ' ') typed.push(character);
        if (typed.length > MAX_LINE_BYTES) return finish(usage('the password is too long'));
      }
      return undefined;
    };
    input.on('data', onData);
  });
}

/**
 * The new user's password: typed twice at a hidden prompt when stdin is a terminal, otherwise
 * the first line of stdin.
 */
export async function readNewPassword(input: NodeJS.ReadStream, promptTo: NodeJS.WritableStream): Promise<string> {
  if (!input.isTTY) return readFirstLine(input);
  const terminal = { input, output: promptTo };
  const first = await promptHidden(terminal, 'Password (input hidden): ');
  const second = await promptHidden(terminal, 'Repeat password: ');
  if (first !== second) throw usage('the two passwords do not match');
  return first;
}
