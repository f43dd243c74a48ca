import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Config } from '../config/config';
import { requestLineWriter } from './logger';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * What nestjs-pino's pino-http middleware would do, as Fastify hooks: the app runs without middie, which Nest
 * middleware needs (app.setup.ts). Each request's id (Fastify's request.id, see createAdapter) is sent back and is in
 * the one line written when it is answered; the audit events of the request carry it through ClientInfo. No
 * per-request logging context (AsyncLocalStorage): entering one cost a quarter of a GET /users/me.
 */
@Injectable()
export class RequestLogging {
  private readonly format: Config['logging']['format'];

  constructor(config: ConfigService<Config, true>) {
    this.format = config.get('logging', { infer: true }).format;
  }

  attach(fastify: FastifyInstance): void {
    const writeLine = requestLineWriter(PinoLogger.root, this.format);
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      writeLine({
        reqId: request.id,
        method: request.method,
        // The route's pattern, never the URL: a path or query can hold ids, addresses and tokens.
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      });
      done();
    });
  }
}
