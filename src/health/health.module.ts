import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RateLimitStorageModule } from '../rate-limit/rate-limit.module';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle';

@Module({
  // One line a failed check, as every other log line is.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), RateLimitStorageModule],
  controllers: [HealthController],
  providers: [Lifecycle],
  exports: [Lifecycle],
})
export class HealthModule {}
