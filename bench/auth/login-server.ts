/**
 * The reference server for the login event-loop bench, started in its own process so the
 * measured event loop is the server's alone. It reports its port, then answers the parent's
 * `reset` (start a fresh event-loop delay histogram) and `report` (send the figures) messages.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../packages/server/src/config/load-config.ts';
import { startServer } from '../../packages/server/src/app/start-server.ts';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
const app = await startServer(config);
let histogram = monitorEventLoopDelay({ resolution: 1 });

process.on('message', (message: unknown) => {
  if (message === 'reset') {
    histogram.disable();
    histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    process.send?.({ kind: 'reset' });
  } else if (message === 'report') {
    histogram.disable();
    const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
    process.send?.({ kind: 'report', p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), samples: histogram.count });
  } else if (message === 'stop') {
    void app.close().then(() => process.exit(0));
  }
});
process.send?.({ kind: 'ready', port: (app.server.address() as AddressInfo).port });
