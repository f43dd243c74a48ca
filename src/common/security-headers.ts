import type { SecurityHeadersOptions } from '@nestjs/common';
import { resolveSecurityHeaders } from '@nestjs/core/security/security-headers.js';
import type { FastifyInstance } from 'fastify';

// Nest's defaults (helmet 8's), with what Swagger UI at /api needs: its inline styles and data: images. Requests are
// not upgraded to https, which would break the UI of a service run over plain http (locally, behind TLS).
const OPTIONS: SecurityHeadersOptions = {
  contentSecurityPolicy: {
    directives: {
      upgradeInsecureRequests: null,
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
    },
  },
};

/** The headers `app.useSecurityHeaders(OPTIONS)` would send, resolved and validated by Nest, once. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    resolveSecurityHeaders(OPTIONS).headers.map(([name, value]) => [name.toLowerCase(), value]),
  ),
);

/**
 * Sends SECURITY_HEADERS with every response, as reply headers. `app.useSecurityHeaders()` sets the same headers
 * on the raw response instead, which sends node:http down its slow path (every header stored and validated
 * twice); the README's Performance section has the cost.
 */
export function sendSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    done();
  });
}
