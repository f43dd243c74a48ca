import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createAdapter } from './app.setup';
import { loadConfig } from './config/load-config';
import type { Config } from './config/config';
import { Lifecycle } from './health/lifecycle';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    await AppModule.forRoot(config),
    createAdapter(config.http),
    {
      abortOnError: false,
      // Held until configureApp hands Nest the service's logger, so that even the first lines are in LOG_FORMAT.
      bufferLogs: true,
    },
  );
  configureApp(app);
  stopGracefully(app, config.http);
  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  new Logger('Bootstrap').log(`Listening on ${url} (Swagger UI: ${url}/api)`);
}

/**
 * SIGTERM (an orchestrator, a balancer's deploy): readiness turns 503 while requests are still served for
 * SHUTDOWN_DRAIN_SECONDS, then the server stops accepting, finishes the requests in flight, and the database and
 * Redis connections close; exit 0, or 1 if that takes longer than SHUTDOWN_TIMEOUT_SECONDS. SIGINT skips the drain.
 */
function stopGracefully(
  app: NestFastifyApplication,
  { shutdownDrainSeconds, shutdownTimeoutSeconds }: Config['http'],
): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    // A repeat (a terminal's Ctrl-C reaches start:cluster's workers twice) changes nothing; the timeout still holds.
    if (stopping) {
      return;
    }
    stopping = true;
    app.get(Lifecycle).beginShutdown();
    setTimeout(() => {
      logger.error(`Still not stopped after ${shutdownTimeoutSeconds} s: exiting`);
      process.exit(1);
    }, shutdownTimeoutSeconds * 1000).unref();
    const drainSeconds = signal === 'SIGTERM' ? shutdownDrainSeconds : 0;
    logger.log(`${signal}: not ready any more; draining for ${drainSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
    await app.close();
    logger.log('Stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, (received) => void stop(received));
  }
}

bootstrap().catch((error: unknown) => {
  // A bad environment ends here with the variable named; print it plainly and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
