import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SCHEME, OAUTH2_SCHEME } from './auth/decorators/api-signed-in.decorator';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { StrictValidationPipe } from './common/validation';
import type { Env } from './config/env.schema';

/** Everything main.ts and the e2e tests share: pipes, the error filter, body limits and Swagger. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get<ConfigService<Env, true>>(ConfigService);
  const bodyLimit = config.get('BODY_LIMIT', { infer: true });
  // Per route, because the adapter's own limit is fixed before the configuration is read.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      route.bodyLimit ??= bodyLimit;
    });

  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Auth service')
      .setDescription(
        'Password sign-in, JWT access tokens, rotating refresh tokens, roles and user administration. ' +
          'Authorize with your username and password (OAuth 2.0 password flow), or paste an access token.',
      )
      .setVersion('1.0')
      .addOAuth2(
        { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', scopes: {} } } },
        OAUTH2_SCHEME,
      )
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
      .build(),
  );
  SwaggerModule.setup('api', app, document, {
    jsonDocumentUrl: 'api-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}
