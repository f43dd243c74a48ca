import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { shareWithPrimary } from './cluster-metrics';

/** One registry per process: metrics are counted from wherever they happen, as prom-client intends. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });
shareWithPrimary(registry);

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by method, route (its pattern) and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const securityEvents = new Counter({
  name: 'auth_security_events_total',
  help: 'Security events by type: sign-in outcomes (login.succeeded, login.failed, login.locked), refresh-token reuse (token.reuse_detected), sign-outs and changes to users',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const rateLimitRefusals = new Counter({
  name: 'rate_limit_refusals_total',
  help: 'Requests refused with 429 by a rate limit, by route',
  labelNames: ['route'] as const,
  registers: [registry],
});

export const signInAccountLimitRefusals = new Counter({
  name: 'sign_in_account_limit_refusals_total',
  help: 'Password checks refused with 429 because the account spent its budget (SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR)',
  registers: [registry],
});

export const rateLimitKeys = new Gauge({
  name: 'rate_limit_memory_keys',
  help: 'Rate-limit windows held in memory (without REDIS_URL), up to their cap',
  registers: [registry],
});

export const rateLimitKeysEvicted = new Counter({
  name: 'rate_limit_keys_evicted_total',
  help: 'Rate-limit windows forgotten, least recently used first, to keep the in-memory count under its cap',
  registers: [registry],
});

export const mailMessages = new Counter({
  name: 'mail_messages_total',
  help: 'Messages by template and outcome: queued in the outbox, sent, or failed for good after MAIL_MAX_ATTEMPTS',
  labelNames: ['template', 'outcome'] as const,
  registers: [registry],
});

export const mailOutboxBacklog = new Gauge({
  name: 'mail_outbox_backlog',
  help: 'Messages in the outbox waiting to be sent (due or retrying), as last counted by this instance',
  // Under start:cluster every worker counts the same outbox: the largest count, not their sum.
  aggregator: 'max',
  registers: [registry],
});

export const purgedRows = new Counter({
  name: 'purged_rows_total',
  help: 'Rows the retention purge deleted, by table (SESSION_RETENTION_DAYS, OUTBOX_RETENTION_DAYS, AUDIT_RETENTION_DAYS)',
  labelNames: ['table'] as const,
  registers: [registry],
});
