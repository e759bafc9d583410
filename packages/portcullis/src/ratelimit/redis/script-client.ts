/**
 * The Redis commands the limiter needs, as a structural interface that a node-redis v5 client
 * (`createClient()` or `createCluster()` from 'redis') satisfies as it is, so the library never
 * imports 'redis' at runtime. A script is loaded with SCRIPT LOAD on first use and run with
 * EVALSHA. On a NOSCRIPT reply (a restart, a failover, SCRIPT FLUSH, or a cluster node that never
 * saw the load) the call is retried once with EVAL, which loads and runs the script in one atomic
 * step on the node that owns the keys: no window in which another flush can strike between a
 * reload and the retry, and NOSCRIPT means the script did not run, so nothing is counted twice.
 * Every other failure rejects: bounding the wait and choosing a fail mode is the StoreGuard's job.
 *
 * A node-redis standalone client or pool (recognised by `isOpen` and a two-parameter
 * `sendCommand(args, options)`; a cluster's and a sentinel's take routing arguments first) is sent
 * the EVALSHA as a raw command instead: `evalSha` builds a command parser and two async frames per
 * call, measured at ~1 us of the ~5 us of client CPU a decision costs.
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

type SendCommand = (args: string[]) => Promise<unknown>;

/** node-redis's raw `sendCommand(args, options)` when the client is a standalone client or a pool. */
function rawSender(client: RedisScriptClient): SendCommand | undefined {
  const candidate = client as unknown as { sendCommand?: unknown; isOpen?: unknown };
  const send = candidate.sendCommand;
  if (typeof send !== 'function' || send.length !== 2 || typeof candidate.isOpen !== 'boolean') return undefined;
  return (args) => send.call(client, args) as Promise<unknown>;
}

/** numkeys, the keys and the arguments of an EVAL/EVALSHA. */
function commandTail(keys: string | readonly string[], args: readonly string[]): string[] {
  return typeof keys === 'string' ? ['1', keys, ...args] : [String(keys.length), ...keys, ...args];
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class ScriptRunner {
  private loading: Promise<unknown> | undefined;
  private loaded = false;
  private readonly send: SendCommand | undefined;

  constructor(
    private readonly client: RedisScriptClient,
    private readonly script: LimiterScript,
  ) {
    this.send = rawSender(client);
  }

  /**
   * Runs the script on `keys` (one key, or the list) with `args`, and hands its reply to
   * `onReply`, in one promise derived from the client's.
   */
  run<T>(keys: string | readonly string[], args: readonly string[], onReply: (reply: unknown) => T): Promise<T> {
    if (!this.loaded) return this.load().then(() => this.run(keys, args, onReply));
    const send = this.send;
    if (send !== undefined) {
      // The usual call, one key and no arguments, is one small array and one RESP string.
      const command = typeof keys === 'string' && args.length === 0 ? ['EVALSHA', this.script.sha, '1', keys] : ['EVALSHA', this.script.sha, ...commandTail(keys, args)];
      return send(command).then(onReply, (error: unknown) => {
        if (!isNoScript(error)) throw error;
        command[0] = 'EVAL';
        command[1] = this.script.source;
        return send(command).then(onReply);
      });
    }
    const call: ScriptCall = { keys: typeof keys === 'string' ? [keys] : [...keys], arguments: [...args] };
    return this.client.evalSha(this.script.sha, call).then(onReply, (error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.client.eval(this.script.source, call).then(onReply);
    });
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
