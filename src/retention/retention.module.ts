import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** The purge of what has ended (sessions, tokens, sent mail, old audit events), on every instance, one at a time. */
@Module({
  providers: [RetentionRepository, RetentionService, Clock],
  exports: [RetentionService],
})
export class RetentionModule {}
