import { Controller, Get, Inject } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { sql } from 'drizzle-orm';
import { Anonymous } from '../auth/decorators/public.decorator';
import { ErrorDto } from '../common/error.dto';
import { DATABASE, type Database } from '../database/database';

const DATABASE_TIMEOUT_MS = 2000;

@ApiTags('operations')
@Anonymous()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(DATABASE) private readonly db: Database,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Whether the service and its database answer' })
  @ApiOkResponse({
    description: 'The database answers',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', example: 'ok' },
        info: { type: 'object', example: { database: { status: 'up', responseTime: 1 } } },
        error: { type: 'object', example: {} },
        details: { type: 'object', example: { database: { status: 'up', responseTime: 1 } } },
      },
    },
  })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer', type: ErrorDto })
  @ApiTooManyRequestsResponse({ description: 'Over RATE_LIMIT_PER_MINUTE from this address', type: ErrorDto })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.indicators
          .check('database')
          .attempt(async () => {
            await this.db.execute(sql`select 1`);
          })
          .withTimeout(DATABASE_TIMEOUT_MS),
    ]);
  }
}
