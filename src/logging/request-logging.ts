import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * What nestjs-pino's pino-http middleware would do, as Fastify hooks: the app runs without middie, which Nest
 * middleware needs (app.setup.ts). Each request's id (Fastify's request.id, see createAdapter) is sent back, binds
 * every line logged while the request is handled, and is in the one line written when it is answered.
 */
@Injectable()
export class RequestLogging {
  constructor(private readonly logger: PinoLogger) {}

  attach(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    // Entered here rather than at onRequest: Fastify goes on from a parsed body in the socket's async context, which
    // would lose one entered before.
    fastify.addHook('preValidation', (request, _reply, done) => {
      this.logger.runInContext(done, { bindings: { reqId: request.id } });
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      // The route's pattern, never the URL: a path or query can hold ids, addresses and tokens.
      PinoLogger.root[status >= 500 ? 'warn' : 'info'](
        {
          reqId: request.id,
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status,
          responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      );
      done();
    });
  }
}
