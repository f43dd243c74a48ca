import type { IncomingMessage } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { BEARER_SCHEME, CLIENT_SCHEME, OAUTH2_SCHEME } from './common/decorators/api-signed-in.decorator';
import { useBodyParsers } from './common/body-parsers';
import { addHttpLayerResponses, HTTP_LAYER_MODELS } from './common/http-layer-responses';
import { httpRequestDuration, httpRequests } from './metrics/metrics';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { SECURITY_HEADERS, sendSecurityHeaders } from './common/security-headers';
import { StrictValidationPipe } from './common/validation';
import { Lifecycle } from './health/lifecycle';
import { REQUEST_ID_HEADER, requestIdOf } from './logging/request-id';
import { RequestLogging } from './logging/request-logging';
import type { Config } from './config/config';

/**
 * Fastify as the contract needs it: a malformed URL or an over-long path parameter (which Fastify's router refuses
 * before Nest sees the request) is a 400 in the contract's error shape.
 */
export function createAdapter({ trustProxy }: Pick<Config['http'], 'trustProxy'>): FastifyAdapter {
  return new FastifyAdapter({
    // No Nest middleware here, so no middie, whose hook would run on every request for nothing. Nest middleware
    // (MiddlewareConsumer) does not work without it: use a Fastify hook, as configureApp does.
    skipMiddie: true,
    // The client address comes from the socket unless the named proxies forwarded it (X-Forwarded-For).
    trustProxy: trustedProxies(trustProxy),
    genReqId: (request: IncomingMessage) => requestIdOf(request.headers[REQUEST_ID_HEADER]),
    // Raised before any hook runs, hence the security headers and the request id here too.
    frameworkErrors: (_error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      void reply
        .headers(SECURITY_HEADERS)
        .header(REQUEST_ID_HEADER, request.id)
        .code(400)
        .send({ statusCode: 400, message: 'Malformed request URL', error: 'Bad Request' });
    },
  });
}

/** The trusted proxies as Fastify takes them: a hop count as a function, as Fastify takes a bare number to trust nobody. */
function trustedProxies(
  trustProxy: Config['http']['trustProxy'],
): string[] | false | ((address: string, hop: number) => boolean) {
  if (!trustProxy) {
    return false;
  }
  if ('addresses' in trustProxy) {
    return trustProxy.addresses;
  }
  const { hops } = trustProxy;
  return (_address, hop) => hop < hops;
}

/**
 * Everything main.ts and the e2e tests share: security headers, CORS, body parsers and limits, pipes, the error
 * filter and Swagger.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const http = app.get<ConfigService<Config, true>>(ConfigService).get('http', { infer: true });
  const fastify = app.getHttpAdapter().getInstance();
  // nestjs-pino's Logger for Nest's: main.ts buffers what was logged before this line, and this writes it out.
  app.useLogger(app.get(Logger));
  app.get(RequestLogging).attach(fastify);
  sendSecurityHeaders(fastify);
  const lifecycle = app.get(Lifecycle);
  fastify.addHook('onRequest', (_request, reply, done) => {
    // While draining, no connection is kept for reuse: once the server stops accepting, a balancer's next request
    // fails to connect (and is retried elsewhere) instead of dying on a kept-alive connection as it closes.
    if (lifecycle.isShuttingDown) {
      void reply.header('connection', 'close');
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  if (http.corsOrigins.length > 0) {
    app.enableCors({
      origin: http.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
      maxAge: 600,
    });
  }

  // Every route's limit, unless the route sets its own.
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= http.bodyLimitBytes;
  });

  useBodyParsers(app);
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  if (http.isSwaggerEnabled) {
    // No persistAuthorization: it kept the signed-in user's password and tokens in localStorage, for any script
    // of the origin to read, long after the tab was closed.
    SwaggerModule.setup('api', app, openApiDocument(app, http.bodyLimitBytes), {
      jsonDocumentUrl: 'api-json',
    });
  }
  return app;
}

/** The OpenAPI document of the routes, as /api-json serves it and docs/openapi.json records it. */
function openApiDocument(app: NestFastifyApplication, bodyLimitBytes: number): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Auth service')
      .setDescription(
        'Password sign-in, JWT access tokens, rotating refresh tokens, roles and user administration. ' +
          'Authorize with your username and password (OAuth 2.0 password flow), or paste an access token.',
      )
      .setVersion('1.0')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addServer('/', 'This service')
      .addOAuth2(
        { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', scopes: {} } } },
        OAUTH2_SCHEME,
      )
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
      .addBasicAuth(
        { type: 'http', scheme: 'basic', description: 'A client of INTROSPECTION_CLIENTS' },
        CLIENT_SCHEME,
      )
      .build(),
    { extraModels: HTTP_LAYER_MODELS },
  );
  return addHttpLayerResponses(document, bodyLimitBytes);
}
