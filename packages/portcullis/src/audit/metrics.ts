/**
 * E5: the numbers an operator watches (traffic, latency, 4xx/5xx, 429s by policy, auth failures
 * by code, limiter store health, audit queue depth) in Prometheus text format. Each app gets a
 * Registry of its own, never prom-client's global one, so two apps in one process (tests, a
 * blue/green pair) never collide. Every label is bounded by construction: the route *pattern*
 * (a raw URL would make every id a new series), a normalised method, the status, a policy name,
 * a catalogue code. Label children are looked up once and cached, so recording a request is two
 * map reads, a counter increment and a histogram observation.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PortcullisError } from '../errors/index.js';

/** The route label of requests that matched no route (404s, scans): one series, whatever the URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Seconds; from a fast cached answer to a handler at the default 15 s deadline. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15]);

export interface PortcullisMetricsOptions {
  /** Prefix of every metric name. Default `portcullis_`. */
  readonly prefix?: string;
  /** Upper bounds (seconds) of the latency histogram's buckets. */
  readonly latencyBuckets?: readonly number[];
  /** Read at each scrape: how many audit events wait to be written. Without it the gauge is absent. */
  readonly auditQueueDepth?: () => number;
  /** Labels on every series (e.g. `{ service: 'api' }`). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** Records the responses of one route pattern. */
export interface RouteRecorder {
  record(method: string, status: number, seconds: number): void;
}

/** Anything whose health the store gauge reports: a rate-limit policy fits. */
export interface WatchedStore {
  readonly name: string;
  /** True while the store is down and the policy runs on its fail mode. */
  readonly isDegraded: boolean;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface MethodSlot {
  readonly latency: { observe(value: number): void };
  readonly byStatus: Map<number, { inc(): void }>;
}

/**
 * The app's metrics. Give it to the Fastify adapter (`metrics` option), serve `scrape()` on a
 * separate, protected listener.
 *
 * @example
 * const metrics = new PortcullisMetrics({ auditQueueDepth: () => queue.depth });
 * await app.register(portcullisPlugin, { ...options, metrics });
 * const text = await metrics.scrape();
 */
export class PortcullisMetrics {
  readonly registry: Registry;
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route' | 'method'>;
  private readonly refusals: Counter<'policy'>;
  private readonly authFailures: Counter<'code'>;
  private readonly refusalChildren = new Map<string, { inc(): void }>();
  private readonly authChildren = new Map<string, { inc(): void }>();
  private readonly routes = new Map<string, RouteRecorder>();
  private readonly stores = new Map<string, WatchedStore>();

  constructor(options: PortcullisMetricsOptions = {}) {
    const prefix = options.prefix ?? 'portcullis_';
    if (!METRIC_PREFIX.test(prefix)) throw new PortcullisError('config.invalid', { detail: 'metrics: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*' });
    const buckets = [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)];
    if (buckets.length === 0 || buckets.some((bound, index) => !(bound > 0) || (index > 0 && bound <= (buckets[index - 1] as number)))) {
      throw new PortcullisError('config.invalid', { detail: 'metrics: latencyBuckets must be positive and increasing' });
    }
    this.registry = new Registry();
    if (options.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [this.registry];
    this.requests = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP responses by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Time from receiving a request to finishing its response, by route pattern and method.',
      labelNames: ['route', 'method'],
      buckets,
      registers,
    });
    this.refusals = new Counter({
      name: `${prefix}ratelimit_refusals_total`,
      help: 'Requests refused with 429 by a rate-limit policy, by policy name.',
      labelNames: ['policy'],
      registers,
    });
    this.authFailures = new Counter({
      name: `${prefix}auth_failures_total`,
      help: 'Requests refused with 401 or 403 by an authentication or authorization check, by problem code.',
      labelNames: ['code'],
      registers,
    });
    const stores = this.stores;
    new Gauge({
      name: `${prefix}ratelimit_store_up`,
      help: 'Rate-limit store health by policy: 1 healthy, 0 degraded (deciding by its fail mode).',
      labelNames: ['policy'],
      registers,
      collect() {
        for (const store of stores.values()) this.set({ policy: store.name }, store.isDegraded ? 0 : 1);
      },
    });
    const depth = options.auditQueueDepth;
    if (depth !== undefined) {
      new Gauge({
        name: `${prefix}audit_queue_depth`,
        help: 'Audit events accepted and not yet written to the audit trail.',
        registers,
        collect() {
          this.set(depth());
        },
      });
    }
  }

  /** The recorder of one route pattern (e.g. `/v1/posts/:id`), made once and cached. */
  forRoute(route: string): RouteRecorder {
    let recorder = this.routes.get(route);
    if (recorder === undefined) {
      recorder = this.newRouteRecorder(route);
      this.routes.set(route, recorder);
    }
    return recorder;
  }

  /** One 429 from the named policy. */
  countRateLimitRefusal(policy: string): void {
    let child = this.refusalChildren.get(policy);
    if (child === undefined) {
      child = this.refusals.labels(policy);
      this.refusalChildren.set(policy, child);
    }
    child.inc();
  }

  /** One 401/403 refusal, by its catalogue code (e.g. `auth.token_expired`). */
  countAuthFailure(code: string): void {
    let child = this.authChildren.get(code);
    if (child === undefined) {
      child = this.authFailures.labels(code);
      this.authChildren.set(code, child);
    }
    child.inc();
  }

  /** Reports the store's health at every scrape, under its name; the first store of a name wins. */
  watchStore(store: WatchedStore): void {
    if (!this.stores.has(store.name)) this.stores.set(store.name, store);
  }

  /** The exposition text, in the format `contentType` names. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private newRouteRecorder(route: string): RouteRecorder {
    const slots = new Map<string, MethodSlot>();
    const { requests, latency } = this;
    const slotOf = (method: string): MethodSlot => {
      let slot = slots.get(method);
      if (slot === undefined) {
        // Methods outside the usual seven (only unmatched requests can carry them) share one label.
        const label = METHODS.has(method) ? method : 'OTHER';
        slot = slots.get(label);
        if (slot === undefined) {
          slot = { latency: latency.labels(route, label), byStatus: new Map() };
          slots.set(label, slot);
        }
        slots.set(method, slot);
      }
      return slot;
    };
    return {
      record(method, status, seconds) {
        const slot = slots.get(method) ?? slotOf(method);
        let counter = slot.byStatus.get(status);
        if (counter === undefined) {
          counter = requests.labels(route, METHODS.has(method) ? method : 'OTHER', String(status));
          slot.byStatus.set(status, counter);
        }
        counter.inc();
        slot.latency.observe(seconds);
      },
    };
  }
}
