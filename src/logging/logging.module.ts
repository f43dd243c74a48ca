import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { Config } from '../config/config';
import { createLogger } from './logger';
import { RequestLogging } from './request-logging';

/** nestjs-pino over the service's logger (configureApp makes it Nest's), and the request lines. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Config, true>) => ({
        pinoHttp: { logger: createLogger(config.get('logging', { infer: true })) },
        // Its middleware on no route: without middie it could not run (RequestLogging's hooks do its work).
        forRoutes: [],
      }),
    }),
  ],
  providers: [RequestLogging],
  exports: [RequestLogging],
})
export class LoggingModule {}
