import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Controller,
  Get,
  Headers,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Anonymous } from '../common/decorators/public.decorator';
import { InvalidTokenException } from '../common/invalid-token.exception';
import { ErrorDto } from '../common/error.dto';
import type { Config } from '../config/config';
import { metricsOfEveryWorker } from './cluster-metrics';
import { registry } from './metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

@ApiTags('operations')
@Anonymous()
@Controller('metrics')
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(config: ConfigService<Config, true>) {
    const { token } = config.get('metrics', { infer: true });
    this.expected = token ? digest(`Bearer ${token}`) : undefined;
  }

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics; needs Authorization: Bearer <METRICS_TOKEN> when that is set',
  })
  @ApiOkResponse({
    description: 'The Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and was not sent', type: ErrorDto })
  @ApiServiceUnavailableResponse({
    description: "Under start:cluster, the other workers' metrics did not arrive in time",
    type: ErrorDto,
  })
  async metrics(
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    // Compared as digests, in constant time, so that the answer's timing tells nothing of the token.
    if (this.expected && !timingSafeEqual(digest(authorization ?? ''), this.expected)) {
      // RFC 6750 §3.1: a token sent and refused is invalid_token; none sent, a plain Bearer challenge.
      throw /^Bearer\s/i.test(authorization ?? '')
        ? new InvalidTokenException()
        : new UnauthorizedException('The metrics token is required');
    }
    // Under start:cluster one scrape answers for every worker (the primary sums them).
    const metrics = await metricsOfEveryWorker(registry);
    if (metrics === undefined) {
      throw new ServiceUnavailableException('The metrics of every worker did not arrive; scrape again');
    }
    // Set here, not by @Header: a refusal must still go out as JSON.
    void reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return metrics;
  }
}
