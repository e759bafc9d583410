/**
 * What the bench needs from Redis besides the limiters themselves: connections, the server's
 * command counters (INFO commandstats), its CPU time, a MONITOR tap that counts the commands one
 * client sends, and deleting exactly the keys under this run's own prefixes (never a flush).
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createClient } from 'redis';

export type NodeRedisClient = ReturnType<typeof createClient>;

export async function connectNodeRedis(url: string): Promise<NodeRedisClient> {
  const client = createClient({ url });
  // node-redis emits connection errors as events; without a listener they would crash the process.
  client.on('error', (error: unknown) => console.error(`redis client error: ${(error as Error).message}`));
  await client.connect();
  return client;
}

export function addressFromClientInfo(info: string): string {
  const match = /(?:^|\s)addr=(\S+)/.exec(info);
  if (match?.[1] === undefined) throw new Error(`no addr in CLIENT INFO reply: ${info}`);
  return match[1];
}

/** The connection's address as the server sees it, the `[db addr]` of MONITOR lines. */
export async function clientAddress(client: NodeRedisClient): Promise<string> {
  return addressFromClientInfo(String(await client.sendCommand(['CLIENT', 'INFO'])));
}

export interface CommandCounter {
  calls: number;
  /** Microseconds the server spent in the command (a script's includes the commands it ran). */
  usec: number;
}

/** Calls and time per command since the server started, from INFO commandstats (`cmdstat_evalsha:calls=...,usec=...`). */
export async function commandStats(client: NodeRedisClient): Promise<Map<string, CommandCounter>> {
  const info = String(await client.sendCommand(['INFO', 'commandstats']));
  const counters = new Map<string, CommandCounter>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    counters.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return counters;
}

/** Commands the server ran between two snapshots, without the INFO calls that took them. */
export function commandsBetween(before: Map<string, CommandCounter>, after: Map<string, CommandCounter>): Map<string, CommandCounter> {
  const delta = new Map<string, CommandCounter>();
  for (const [command, counter] of after) {
    const calls = counter.calls - (before.get(command)?.calls ?? 0);
    if (calls > 0 && command !== 'info') delta.set(command, { calls, usec: counter.usec - (before.get(command)?.usec ?? 0) });
  }
  return delta;
}

/** The redis-server's pid when it runs on this machine (its /proc entry is readable), else undefined. */
export async function localServerPid(client: NodeRedisClient): Promise<number | undefined> {
  const info = String(await client.sendCommand(['INFO', 'server']));
  const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  if (!Number.isInteger(pid) || !existsSync(`/proc/${pid}/comm`)) return undefined;
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('redis') ? pid : undefined;
}

function assertPlainPrefix(prefix: string): void {
  // The prefix becomes a SCAN pattern; glob characters would widen it beyond our own keys.
  if (/[*?[\]\\]/.test(prefix) || prefix.length < 8) throw new RangeError(`unsafe key prefix ${prefix}`);
}

export async function keysUnder(client: NodeRedisClient, prefix: string): Promise<string[]> {
  assertPlainPrefix(prefix);
  const keys: string[] = [];
  let cursor = '0';
  do {
    const reply = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [unknown, unknown[]];
    cursor = String(reply[0]);
    keys.push(...reply[1].map(String));
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key that starts with `prefix`; returns how many there were. */
export async function deleteUnder(client: NodeRedisClient, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  for (let start = 0; start < keys.length; start += 500) {
    await client.sendCommand(['UNLINK', ...keys.slice(start, start + 500)]);
  }
  return keys.length;
}

export interface MonitorLine {
  /** The client address, or `lua` for a command a script ran. */
  source: string;
  command: string;
}

function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/**
 * A raw MONITOR connection: every command the server runs, in order, tagged with the client that
 * sent it or `lua`. MONITOR slows the server down, so it is only on around a short counting phase,
 * never while throughput is timed.
 */
export class CommandMonitor {
  private readonly lines: MonitorLine[] = [];
  private pending = '';
  private marker: { text: string; seen: () => void } | undefined;

  private constructor(private readonly socket: Socket) {}

  static async start(url: string): Promise<CommandMonitor> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'redis:') throw new Error(`MONITOR tap supports redis:// only, not ${parsed.protocol}`);
    const socket = connect(Number(parsed.port || 6379), parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1');
    await once(socket, 'connect');
    const monitor = new CommandMonitor(socket);
    const ready = new Promise<void>((resolve, reject) => {
      let oks = 0;
      const expected = parsed.password === '' ? 1 : 2;
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        if (text.startsWith('-')) {
          reject(new Error(`MONITOR refused: ${text.trim()}`));
          return;
        }
        oks += (text.match(/^\+OK\r\n/gm) ?? []).length;
        if (oks >= expected) {
          socket.off('data', onData);
          socket.on('data', (data: Buffer) => monitor.take(data));
          resolve();
        }
      };
      socket.on('data', onData);
    });
    if (parsed.password !== '') {
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      socket.write(resp(user === '' ? ['AUTH', password] : ['AUTH', user, password]));
    }
    socket.write(resp(['MONITOR']));
    await ready;
    return monitor;
  }

  private take(chunk: Buffer): void {
    const text = this.pending + chunk.toString('utf8');
    const parts = text.split('\r\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) {
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]*)"/.exec(line);
      if (match === null) continue;
      this.lines.push({ source: match[1]!, command: match[2]!.toLowerCase() });
      if (this.marker !== undefined && line.includes(this.marker.text)) this.marker.seen();
    }
  }

  /** Sends ECHO <marker> on `control`, waits until MONITOR shows it (so nothing is still in flight), and disconnects. */
  async stop(control: NodeRedisClient): Promise<MonitorLine[]> {
    const text = `pcbench-monitor-end-${process.pid}-${Date.now()}`;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('MONITOR end marker not seen within 10 s')), 10_000);
      this.marker = {
        text,
        seen: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    await control.sendCommand(['ECHO', text]);
    await seen;
    this.socket.destroy();
    return this.lines;
  }
}

export interface RoundTripCount {
  /** Commands this client sent, by name. */
  sent: Map<string, number>;
  /** Commands run by scripts this client invoked, by name. */
  inScripts: Map<string, number>;
}

/**
 * Attributes MONITOR lines to the given client addresses. A script's own commands are listed
 * right after the EVAL/EVALSHA that ran them (the server is single-threaded), so `lua` lines
 * count for us when the last client command before them was ours.
 */
export function countRoundTrips(lines: readonly MonitorLine[], ours: ReadonlySet<string>): RoundTripCount {
  const sent = new Map<string, number>();
  const inScripts = new Map<string, number>();
  let lastWasOurs = false;
  for (const line of lines) {
    if (line.source === 'lua') {
      if (lastWasOurs) inScripts.set(line.command, (inScripts.get(line.command) ?? 0) + 1);
      continue;
    }
    lastWasOurs = ours.has(line.source);
    if (lastWasOurs) sent.set(line.command, (sent.get(line.command) ?? 0) + 1);
  }
  return { sent, inScripts };
}
