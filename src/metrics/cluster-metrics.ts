import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'auth-service:metrics-of-every-worker';
const ANSWER = 'auth-service:metrics-of-every-worker:answer';
// Longer than prom-client's own wait for the workers (5 s), so that the primary's answer comes first.
const ANSWER_TIMEOUT_MS = 7000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  metrics?: string;
}

const isAsk = (message: unknown): message is Ask => (message as Ask | undefined)?.type === ASK;
const isAnswer = (message: unknown): message is Answer => (message as Answer | undefined)?.type === ANSWER;

/**
 * start:cluster's primary: answers a worker's scrape with every worker's metrics, gathered by prom-client's
 * AggregatorRegistry (counters and histograms summed; each metric's `aggregator` says otherwise).
 */
export function aggregateWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isAsk(message)) {
      return;
    }
    const answer = (metrics?: string) => {
      if (worker.isConnected()) {
        worker.send({ type: ANSWER, id: message.id, metrics } satisfies Answer);
      }
    };
    aggregator.clusterMetrics().then(answer, () => answer(undefined));
  });
}

const waiting = new Map<number, (metrics: string | undefined) => void>();
let lastAsk = 0;

/**
 * In a worker of start:cluster, makes `registry` the one the primary gathers from every worker; elsewhere nothing.
 */
export function shareWithPrimary(registry: Registry): void {
  if (!cluster.isWorker) {
    return;
  }
  // Constructed for its side effect in a worker: prom-client's listener for the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.on('message', (message: unknown) => {
    if (isAnswer(message)) {
      waiting.get(message.id)?.(message.metrics);
    }
  });
}

/**
 * The Prometheus text of every worker's metrics under start:cluster (asked of the primary), else of `registry`;
 * undefined when the workers' metrics did not all arrive, rather than a part that would read as counter resets.
 */
export function metricsOfEveryWorker(registry: Registry): Promise<string | undefined> {
  if (!cluster.isWorker || !process.send) {
    return registry.metrics();
  }
  const id = ++lastAsk;
  return new Promise((resolve) => {
    const timer = setTimeout(() => settle(undefined), ANSWER_TIMEOUT_MS);
    const settle = (metrics: string | undefined) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(metrics);
    };
    waiting.set(id, settle);
    process.send!({ type: ASK, id } satisfies Ask);
  });
}
