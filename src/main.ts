import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createAdapter } from './app.setup';
import { type Env, validateEnv } from './config/env.schema';

async function bootstrap(): Promise<void> {
  const appModule = await AppModule.forRoot();
  // The adapter is made before Nest's ConfigService exists; forRoot has put .env's values in process.env by now.
  const app = await NestFactory.create<NestFastifyApplication>(
    appModule,
    createAdapter(validateEnv(process.env)),
    {
      abortOnError: false,
    },
  );
  configureApp(app);
  app.enableShutdownHooks();
  const config = app.get<ConfigService<Env, true>>(ConfigService);
  const host = config.get('HOST', { infer: true });
  await app.listen(config.get('PORT', { infer: true }), host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  new Logger('Bootstrap').log(`Listening on ${url} (Swagger UI: ${url}/api)`);
}

bootstrap().catch((error: unknown) => {
  // A bad environment ends here with the variable named; print it plainly and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
