import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
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
import { Anonymous } from '../common/decorators/public.decorator';
import { ErrorDto } from '../common/error.dto';
import type { Config } from '../config/config';
import { DATABASE, type Database, pingDatabase } from '../database/database';
import type { ResettableStorage } from '../rate-limit/resettable-storage';
import { RATE_LIMIT_STORAGE } from '../rate-limit/sign-in-limits';
import { Secrets } from '../secrets/secrets';
import { Lifecycle } from './lifecycle';

const CHECK_TIMEOUT_MS = 2000;

const HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', example: 'ok' },
    info: { type: 'object', example: { database: { status: 'up' } } },
    error: { type: 'object', example: {} },
    details: { type: 'object', example: { database: { status: 'up' } } },
  },
};

/**
 * Terminus's 503 again, in the contract's error shape, naming the checks that failed and nothing of why: their own
 * messages (a refused connection, say) can name hosts and ports, which the log has.
 */
function namingFailedChecks(error: unknown): never {
  if (!(error instanceof ServiceUnavailableException)) {
    throw error;
  }
  const { error: failures = {} } = error.getResponse() as Partial<HealthCheckResult>;
  const failed = Object.keys(failures).map((check) => (check === 'instance' ? 'shutting down' : check));
  throw new ServiceUnavailableException(`Not ready: ${failed.join(', ')}`);
}

@ApiTags('operations')
@Anonymous()
@Controller('health')
export class HealthController {
  private readonly checksRedis: boolean;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: Lifecycle,
    private readonly secrets: Secrets,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(RATE_LIMIT_STORAGE) private readonly rateLimits: ResettableStorage,
    config: ConfigService<Config, true>,
  ) {
    this.checksRedis = Boolean(config.get('rateLimits', { infer: true }).redisUrl);
  }

  /** GET /health stays for existing probes: it is readiness too. */
  @Get(['ready', ''])
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness: the database, Redis when configured, the signing key; 503 while shutting down',
  })
  @ApiOkResponse({ description: 'Ready to take requests', schema: HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({
    description:
      'Not ready, or shutting down; the message names the failed checks: "Not ready: database, redis"',
    type: ErrorDto,
  })
  @ApiTooManyRequestsResponse({ description: 'Over RATE_LIMIT_PER_MINUTE from this address', type: ErrorDto })
  ready(): Promise<HealthCheckResult> {
    const checked = this.health.check([
      () => {
        const indicator = this.indicators.check('instance');
        return this.lifecycle.isShuttingDown ? indicator.down({ message: 'shutting down' }) : indicator.up();
      },
      () => {
        const indicator = this.indicators.check('signingKey');
        return this.secrets.signingKey ? indicator.up({ kid: this.secrets.kid }) : indicator.down();
      },
      () =>
        this.indicators
          .check('database')
          .attempt(() => pingDatabase(this.db))
          .withTimeout(CHECK_TIMEOUT_MS),
      ...(this.checksRedis
        ? [
            () =>
              this.indicators
                .check('redis')
                .attempt(() => this.rateLimits.ping())
                .withTimeout(CHECK_TIMEOUT_MS),
          ]
        : []),
    ]);
    return checked.catch(namingFailedChecks);
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process answers (nothing else is checked)' })
  @ApiOkResponse({ description: 'The process answers', schema: HEALTH_SCHEMA })
  @ApiTooManyRequestsResponse({ description: 'Over RATE_LIMIT_PER_MINUTE from this address', type: ErrorDto })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }
}
