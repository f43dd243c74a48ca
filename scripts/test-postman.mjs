// npm run test:postman: the Postman collection, run by newman against the built service on a throw-away database.
// Fails when an assertion fails, or when an operation of the OpenAPI document has no request in the collection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import newman from 'newman';
import { admin, build, root, startService } from './lib/service.mjs';

const collection = JSON.parse(
  readFileSync(join(root, 'postman/nest-auth-service.postman_collection.json'), 'utf8'),
);
const environment = JSON.parse(readFileSync(join(root, 'postman/local.postman_environment.json'), 'utf8'));
const client = { id: 'postman', secret: 'postman-secret' };
const metricsToken = 'postman-metrics-token';

const missing = uncoveredOperations();
if (missing.length > 0) {
  console.error(`The collection has no request for: ${missing.join(', ')}`);
  process.exit(1);
}

build();
const service = await startService({
  INTROSPECTION_CLIENTS: `${client.id}:${client.secret}`,
  METRICS_TOKEN: metricsToken,
  // The walk makes 27 requests of the per-address sign-in budget (sign-ins, password changes, the deletion) within a
  // minute, over the default 20: past it the last ones would get 429. The README says the same for a run by hand.
  AUTH_RATE_LIMIT_PER_MINUTE: '30',
});
let summary;
try {
  summary = await new Promise((resolve, reject) =>
    newman.run(
      {
        collection,
        environment,
        envVar: [
          { key: 'baseUrl', value: service.base },
          { key: 'adminUsername', value: admin.username },
          { key: 'adminPassword', value: admin.password },
          { key: 'introspectionClientId', value: client.id },
          { key: 'introspectionClientSecret', value: client.secret },
          { key: 'metricsToken', value: metricsToken },
        ],
        reporters: ['cli'],
        reporter: { cli: { noBanner: true } },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
} finally {
  await service.stop();
}

const { stats, failures, error } = summary.run;
console.log(
  `newman: ${stats.requests.total} requests, ${stats.assertions.total} assertions, ` +
    `${stats.assertions.failed} failed, ${failures.length} failures`,
);
if (error || failures.length > 0 || stats.assertions.failed > 0) {
  console.error(service.output().slice(-4000));
  process.exit(1);
}

/** "METHOD /path" of each operation in docs/openapi.json (and the documents themselves) that no request covers. */
function uncoveredOperations() {
  const document = JSON.parse(readFileSync(join(root, 'docs/openapi.json'), 'utf8'));
  const template = (path) =>
    path
      .split('/')
      .map((segment) => (/^(\{\{?\w+\}\}?|[0-9a-f-]{36}|not-a-uuid)$/.test(segment) ? '{}' : segment))
      .join('/');
  const covered = new Set();
  const walk = (items) =>
    items.forEach((item) =>
      item.item
        ? walk(item.item)
        : covered.add(`${item.request.method} ${template('/' + item.request.url.path.join('/'))}`),
    );
  walk(collection.item);
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${template(path)}`),
  );
  return [...operations, 'GET /api', 'GET /api-json'].filter((operation) => !covered.has(operation));
}
