/**
 * npm runs a workspace script from the workspace's folder (packages/server), but a user typing
 * `DATA_DIR=./data npm run cli -- ...` at the repository root means the root's ./data. npm records
 * where it was invoked in INIT_CWD; moving there first makes every relative path in the
 * environment (DATA_DIR, DATABASE_URL=sqlite:..., TLS files) mean what the user meant.
 */

/**
 * When this process was started by the npm script `script` (`cli`, `start`), changes the working
 * directory to the one npm was invoked from. Outside npm (a direct `node src/cli/main.ts`) the
 * current directory already is that one, so nothing changes.
 *
 * @example
 * enterInvocationDirectory(process.env, 'cli'); // before loadConfig(process.env)
 */
export function enterInvocationDirectory(env: NodeJS.ProcessEnv, script: string): void {
  // Only for the named script: INIT_CWD leaks into every child of any npm script (e.g. `npm test`).
  if (env.npm_lifecycle_event !== script) return;
  const invokedFrom = env.INIT_CWD;
  if (invokedFrom !== undefined && invokedFrom !== '' && invokedFrom !== process.cwd()) process.chdir(invokedFrom);
}
