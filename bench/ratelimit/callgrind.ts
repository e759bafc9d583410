/**
 * Valgrind's callgrind, driven from outside the measured process: start a program under it with
 * instrumentation off (warm-ups then run at a few times native speed instead of ~50x slower),
 * switch it on, zero, and dump around exactly the work being counted. Every control call names
 * its pid: without one, callgrind_control would act on every callgrind run on the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function checkValgrind(): string | undefined {
  for (const tool of ['valgrind', 'callgrind_control']) {
    const probe = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (probe.error !== undefined || probe.status !== 0) return `${tool} is not installed (Debian: apt-get install -y valgrind)`;
  }
  return undefined;
}

export class Callgrind {
  readonly child: ChildProcess;
  private readonly dir: string;
  private dumps = 0;
  /** When set, every dump is also copied here as `<label>.<n>.callgrind` (for callgrind_annotate). */
  keepAs: { dir: string; label: string } | undefined;

  private constructor(child: ChildProcess, dir: string) {
    this.child = child;
    this.dir = dir;
  }

  /** Spawns `command args` under callgrind, instrumentation off until `count` switches it on. */
  static spawn(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Callgrind {
    const dir = mkdtempSync(join(tmpdir(), 'pc-rl-ic-'));
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', '--instr-atstart=no', '--dump-instr=no', `--callgrind-out-file=${join(dir, 'cg.out')}`, command, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'], env },
    );
    return new Callgrind(child, dir);
  }

  private control(...flags: string[]): void {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('callgrind: the process did not start');
    const result = spawnSync('callgrind_control', [...flags, String(pid)], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`callgrind_control ${flags.join(' ')} ${pid} failed: ${result.stderr || result.stdout}`);
  }

  /** Instructions executed while `work` runs: instrumentation on, counters zeroed, work, dump, instrumentation off. */
  async count(work: () => Promise<void>): Promise<number> {
    this.control('--instr=on');
    this.control('--zero');
    await work();
    this.control('--dump');
    this.control('--instr=off');
    this.dumps += 1;
    return this.readDump();
  }

  /** The `totals:` line of the newest dump (callgrind numbers them cg.out.1, cg.out.2, ...). */
  private readDump(): number {
    const name = readdirSync(this.dir).find((file) => file === `cg.out.${this.dumps}`);
    if (name === undefined) throw new Error(`callgrind dump ${this.dumps} not found in ${this.dir} (${readdirSync(this.dir).join(', ')})`);
    const text = readFileSync(join(this.dir, name), 'utf8');
    if (this.keepAs !== undefined) {
      mkdirSync(this.keepAs.dir, { recursive: true });
      copyFileSync(join(this.dir, name), join(this.keepAs.dir, `${this.keepAs.label.replace(/[^\w.-]+/g, '_')}.${this.dumps}.callgrind`));
    }
    rmSync(join(this.dir, name));
    const totals = /^(?:totals|summary): (\d+)/m.exec(text);
    if (totals === null) throw new Error('callgrind dump without totals');
    return Number(totals[1]);
  }

  /** Kills the process (by its own pid) and removes the dump directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
