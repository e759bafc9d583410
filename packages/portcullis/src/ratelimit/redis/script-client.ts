/**
 * The Redis commands the limiter needs, as a structural interface that a node-redis v5 client
 * (`createClient()` or `createCluster()` from 'redis') satisfies as it is, so the library never
 * imports 'redis' at runtime. A script is loaded with SCRIPT LOAD on first use and run with
 * EVALSHA. On a NOSCRIPT reply (a restart, a failover, SCRIPT FLUSH, or a cluster node that never
 * saw the load) the call is retried once with EVAL, which loads and runs the script in one atomic
 * step on the node that owns the keys: no window in which another flush can strike between a
 * reload and the retry, and NOSCRIPT means the script did not run, so nothing is counted twice.
 * Every other failure rejects: bounding the wait and choosing a fail mode is the StoreGuard's job.
 */
import type { LimiterScript } from './lua/limiter-script.js';

export interface ScriptCall {
  keys: string[];
  arguments: string[];
}

export interface RedisScriptClient {
  /** EVALSHA; node-redis v5: `client.evalSha(sha1, { keys, arguments })`. */
  evalSha(sha1: string, options: ScriptCall): Promise<unknown>;
  /** EVAL; node-redis v5: `client.eval(script, { keys, arguments })`. */
  eval(script: string, options: ScriptCall): Promise<unknown>;
  /** SCRIPT LOAD; node-redis v5: `client.scriptLoad(script)`. */
  scriptLoad(script: string): Promise<unknown>;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class ScriptRunner {
  private loading: Promise<unknown> | undefined;
  private loaded = false;

  constructor(
    private readonly client: RedisScriptClient,
    private readonly script: LimiterScript,
  ) {}

  async run(keys: string[], args: string[]): Promise<unknown> {
    if (!this.loaded) await this.load();
    const call: ScriptCall = { keys, arguments: args };
    try {
      return await this.client.evalSha(this.script.sha, call);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.client.eval(this.script.source, call);
    }
  }

  /** One SCRIPT LOAD however many calls are waiting for it; a failed load is retried by the next call. */
  private load(): Promise<unknown> {
    this.loading ??= this.client.scriptLoad(this.script.source).then(
      (sha) => {
        this.loading = undefined;
        this.loaded = true;
        return sha;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }
}
