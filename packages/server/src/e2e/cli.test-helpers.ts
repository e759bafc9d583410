import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Shared by the suites that run the server's CLI as its own process, the way an operator runs
 * `npm run cli -- ...`: from the repository root, through tsx, on the library's source.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_ENTRY = 'packages/server/src/cli/main.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI with `args`, in a child whose whole environment is `env`, killed after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
