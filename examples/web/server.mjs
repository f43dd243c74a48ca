// Serves the example web client: its page, script and stylesheet, and @simplewebauthn/browser's ES modules straight
// from node_modules (no build step, no CDN). The page talks to the service itself, over CORS.
//
// The Content-Security-Policy is fixed when the server starts: it lets the page connect to its own origin and to
// SERVICE_URL's, and to nothing else. The page takes its default service URL from the same setting (a <meta> this
// server fills in), so the two cannot disagree; a `?service=` naming another origin is shown on the page as blocked
// by the policy rather than widening it, since a policy built from the query would let any link choose where the
// page may send a user's tokens.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const simpleWebAuthnDir = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')));
const VENDOR_PREFIX = '/vendor/simplewebauthn/';

const FILES = {
  '/app.mjs': 'app.mjs',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The service's own headers (src/common/security-headers.ts), tightened for a page with no inline code at all. */
function securityHeaders(serviceOrigin) {
  const policy = [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src 'self' ${serviceOrigin}`,
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self'",
  ].join('; ');
  return {
    'content-security-policy': policy,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // A developer's edits show on the next reload.
    'cache-control': 'no-cache',
  };
}

/** The origin of an http(s) URL, or an error that names the setting. */
function originOf(serviceUrl) {
  const url = URL.canParse(serviceUrl) ? new URL(serviceUrl) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new Error(`SERVICE_URL must be an http:// or https:// URL, not ${JSON.stringify(serviceUrl)}`);
  }
  return url.origin;
}

/** The path of a file of @simplewebauthn/browser's ESM build, or undefined for anything outside it. */
function vendorFile(pathname) {
  // Not decoded: the URL parser has resolved any dot segments already, and the package's names need no escapes.
  const file = join(simpleWebAuthnDir, pathname.slice(VENDOR_PREFIX.length));
  const inside = relative(simpleWebAuthnDir, file);
  return file.endsWith('.js') && !inside.startsWith('..') && !inside.startsWith(sep) ? file : undefined;
}

/**
 * Starts the server on `host`:`port` (0 for any free port) for a service at `serviceUrl`; resolves once it listens,
 * with its URL and a `close()`.
 */
export async function startExampleServer({
  port = 8080,
  host = 'localhost',
  serviceUrl = 'http://localhost:3000',
} = {}) {
  const serviceOrigin = originOf(serviceUrl);
  const headers = securityHeaders(serviceOrigin);
  const page = (await readFile(join(here, 'index.html'), 'utf8')).replace(
    /<meta name="service-url" content="[^"]*"/,
    `<meta name="service-url" content="${serviceOrigin}"`,
  );

  const server = createServer(async (request, response) => {
    const send = (status, type, body) => {
      response.writeHead(status, { ...headers, 'content-type': type });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
      return;
    }
    const { pathname } = new URL(request.url, 'http://localhost');
    if (pathname === '/' || pathname === '/index.html') {
      send(200, TYPES['.html'], page);
      return;
    }
    const file = FILES[pathname]
      ? join(here, FILES[pathname])
      : pathname.startsWith(VENDOR_PREFIX)
        ? vendorFile(pathname)
        : undefined;
    const body = file && (await readFile(file).catch(() => undefined));
    if (!body) {
      send(404, 'text/plain; charset=utf-8', 'Not found\n');
      return;
    }
    send(200, TYPES[file.slice(file.lastIndexOf('.'))], body);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    serviceOrigin,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const serviceUrl = process.env.SERVICE_URL ?? 'http://localhost:3000';
  const { url, serviceOrigin } = await startExampleServer({
    port: Number(process.env.PORT ?? 8080),
    serviceUrl,
  });
  console.log(`example web client at ${url}, for the service at ${serviceOrigin}`);
  console.log(`start the service with CORS_ORIGINS=${url} WEBAUTHN_ORIGINS=${url} WEBAUTHN_RP_ID=localhost`);
}
