import cluster from 'node:cluster';
import { loadConfig } from './config/load-config';
import { createLogger } from './logging/logger';
import { aggregateWorkerMetrics } from './metrics/cluster-metrics';

const RESTART_DELAY_MS = 1000;

/**
 * npm run start:cluster: the service in one worker per core (WEB_CONCURRENCY sets how many) on one shared port.
 * Every worker is a whole instance; they share PostgreSQL and, with REDIS_URL, the rate limits. A worker that
 * dies is replaced; SIGTERM or SIGINT is passed to every worker, which stops as `npm run start:prod` does. A scrape
 * of /metrics, whichever worker takes it, answers with the metrics of them all, gathered here.
 */
function primary(): void {
  let config;
  try {
    // Once here, so that a bad environment stops the start instead of every worker, over and over.
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const logger = createLogger(config.logging).child({ context: 'Cluster' });
  if (!config.database.url) {
    logger.fatal('start:cluster needs DATABASE_URL: the embedded database (PGlite) belongs to one process');
    process.exit(1);
  }
  if (!config.rateLimits.redisUrl) {
    logger.warn('REDIS_URL is not set: each worker counts rate limits on its own');
  }
  aggregateWorkerMetrics();
  const { workers } = config.cluster;
  let stopping = false;

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        process.exit(0);
      }
      return;
    }
    logger.warn(`worker ${worker.process.pid} died (${signal ?? code}); starting another`);
    setTimeout(() => cluster.fork(), RESTART_DELAY_MS);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) {
        worker?.process.kill(signal);
      }
    });
  }
  for (let i = 0; i < workers; i++) {
    cluster.fork();
  }
  logger.info(`primary ${process.pid}: ${workers} workers`);
}

if (cluster.isPrimary) {
  primary();
} else {
  void import('./main.js');
}
