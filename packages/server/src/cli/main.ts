import { enterInvocationDirectory } from '../config/invocation-directory.js';
import { runCli } from './run-cli.js';

/**
 * Entry point of `npm run cli -- <command>`. It only adapts the process to `runCli`: relative
 * paths resolved from where npm was run, and the exit status set rather than forced, so pending
 * output is flushed before the process ends.
 */

enterInvocationDirectory(process.env, 'cli');
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
