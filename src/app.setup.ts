import { ConfigService } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SCHEME, CLIENT_SCHEME, OAUTH2_SCHEME } from './common/decorators/api-signed-in.decorator';
import { useBodyParsers } from './common/body-parsers';
import { httpRequestDuration, httpRequests } from './metrics/metrics';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { SECURITY_HEADERS, sendSecurityHeaders } from './common/security-headers';
import { StrictValidationPipe } from './common/validation';
import { Lifecycle } from './health/lifecycle';
import type { Env } from './config/env.schema';

/**
 * Fastify as the contract needs it: a malformed URL or an over-long path parameter (which Fastify's router refuses
 * before Nest sees the request) is a 400 in the contract's error shape.
 */
export function createAdapter({ TRUST_PROXY }: Pick<Env, 'TRUST_PROXY'>): FastifyAdapter {
  return new FastifyAdapter({
    // No Nest middleware here, so no middie, whose hook would run on every request for nothing. Nest middleware
    // (MiddlewareConsumer) does not work without it: use a Fastify hook, as configureApp does.
    skipMiddie: true,
    // The client address comes from the socket unless the named proxies forwarded it (X-Forwarded-For).
    trustProxy: trustedProxies(TRUST_PROXY),
    // Raised before any hook runs, hence the security headers here too.
    frameworkErrors: (_error: unknown, _request: unknown, reply: FastifyReply) => {
      void reply
        .headers(SECURITY_HEADERS)
        .code(400)
        .send({ statusCode: 400, message: 'Malformed request URL', error: 'Bad Request' });
    },
  });
}

/** TRUST_PROXY as Fastify takes it: a hop count (trust that many proxies in front) or proxy addresses. */
function trustedProxies(
  setting: string | undefined,
): string | false | ((address: string, hop: number) => boolean) {
  if (!setting) {
    return false;
  }
  if (!/^\d+$/.test(setting.trim())) {
    return setting;
  }
  const hops = Number(setting);
  return (_address, hop) => hop < hops;
}

/**
 * Everything main.ts and the e2e tests share: security headers, CORS, body parsers and limits, pipes, the error
 * filter and Swagger.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get<ConfigService<Env, true>>(ConfigService);
  const fastify = app.getHttpAdapter().getInstance();
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
  const corsOrigins = (config.get('CORS_ORIGINS', { infer: true }) ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
      maxAge: 600,
    });
  }

  const bodyLimit = config.get('BODY_LIMIT', { infer: true });
  // Per route, because the adapter's own limit is fixed before the configuration is read.
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });

  useBodyParsers(app);
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  if (swaggerEnabled(config)) {
    // No persistAuthorization: it kept the signed-in user's password and tokens in localStorage, for any script
    // of the origin to read, long after the tab was closed.
    SwaggerModule.setup('api', app, openApiDocument(app), { jsonDocumentUrl: 'api-json' });
  }
  return app;
}

/** SWAGGER_ENABLED, or when unset: outside production only, as the document maps every route for an attacker. */
function swaggerEnabled(config: ConfigService<Env, true>): boolean {
  return (
    config.get('SWAGGER_ENABLED', { infer: true }) ?? config.get('NODE_ENV', { infer: true }) !== 'production'
  );
}

/** The OpenAPI document of the routes, as /api-json serves it and docs/openapi.json records it. */
function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
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
  );
}
