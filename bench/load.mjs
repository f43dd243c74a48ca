// One autocannon run, in a process of its own (so it can be pinned to a core apart from the server).
// Usage: node bench/load.mjs '<json>'; prints the result as one JSON line.
//   { url, path, method?, duration, connections, rate?, tokens?: string[], logins?: {username,password}[],
//     refreshTokens?: string[] }
// tokens: each request carries the next access token in turn; logins: each request signs in the next user;
// refreshTokens: one per connection, each rotated with every request.
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
let next = 0;
const take = (list) => list[next++ % list.length];

const request = { method: spec.method ?? 'GET', path: spec.path };
if (spec.tokens) {
  request.setupRequest = (req) => ({ ...req, headers: { authorization: `Bearer ${take(spec.tokens)}` } });
} else if (spec.logins) {
  request.setupRequest = (req) => ({
    ...req,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(take(spec.logins)),
  });
} else if (spec.refreshTokens) {
  // autocannon clears a connection's context between requests, so the sessions' current tokens wait in a queue.
  const queue = [...spec.refreshTokens];
  request.setupRequest = (req, context) => {
    context.token = queue.shift();
    return {
      ...req,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: context.token }),
    };
  };
  request.onResponse = (status, body, context) => {
    queue.push(status === 200 ? JSON.parse(body).refresh_token : context.token);
  };
}

const result = await autocannon({
  url: spec.url,
  duration: spec.duration,
  connections: spec.connections,
  overallRate: spec.rate,
  requests: [request],
});
const seconds = result.duration;
console.log(
  JSON.stringify({
    ok: result['2xx'],
    okPerSecond: result['2xx'] / seconds,
    requestsPerSecond: result.requests.total / seconds,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
  }),
);
