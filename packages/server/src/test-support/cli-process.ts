import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Shared by the tests that run the server's CLI as its own process, the way an operator runs
 * `npm run cli -- ...`: from the repository root, through tsx, on the library's source.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_ENTRY = 'packages/server/src/cli/main.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI with `args`, in a child whose whole environment is `env`, killed after `timeoutMs`;
 * `stdin`, when given, is piped in (a password prompt), otherwise the child has none.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number, stdin?: string | Buffer): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined && child.stdin !== null) {
      // The CLI may exit before reading everything (a refusal): that is not a test failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
    }
  });
}
