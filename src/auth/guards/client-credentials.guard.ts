import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DEFAULT_IPV6_SUBNET_PREFIX, minutes, normalizeIp } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../../audit/audit.service';
import { ClientAuthenticationException } from '../../common/client-authentication.exception';
import { TooManyRequestsException } from '../../common/too-many-requests.exception';
import { type Env, introspectionClients } from '../../config/env.schema';
import { rateLimitRefusals } from '../../metrics/metrics';
import type { ResettableStorage } from '../../rate-limit/resettable-storage';
import { RATE_LIMIT_STORAGE } from '../../rate-limit/sign-in-limits';
import { clientOf } from '../decorators/client-info.decorator';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Failed client authentications an address may make in a window before it is refused for as long. */
export const CLIENT_AUTH_FAILURES_PER_ADDRESS = 10;
const CLIENT_AUTH_WINDOW_MS = minutes(15);
const CLIENT_AUTH_THROTTLER = 'client-auth-failures';

/**
 * HTTP Basic authentication of the resource servers in INTROSPECTION_CLIENTS (RFC 6749 §2.3.1: id and secret
 * form-encoded inside Basic). Secrets are compared as SHA-256 digests in constant time, and an unknown id costs
 * the same comparison, so timing tells neither which ids exist nor how much of a secret was right. Each failure is
 * audited and counted per address (in the rate limits' storage, shared through Redis); past
 * CLIENT_AUTH_FAILURES_PER_ADDRESS the address gets 429 for the window, right secret or not.
 */
@Injectable()
export class ClientCredentialsGuard implements CanActivate {
  private readonly clients: Map<string, Buffer>;
  private readonly logger = new Logger(ClientCredentialsGuard.name);

  constructor(
    config: ConfigService<Env, true>,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ResettableStorage,
    private readonly audit: AuditService,
  ) {
    this.clients = new Map(
      introspectionClients(config.get('INTROSPECTION_CLIENTS', { infer: true })).map(([id, secret]) => [
        id,
        digest(secret),
      ]),
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { client?: string }>();
    const failures = `${CLIENT_AUTH_THROTTLER}:${normalizeIp(request.ip, DEFAULT_IPV6_SUBNET_PREFIX)}`;
    const blockedSeconds = await this.orZero(this.storage.blockedSeconds(failures, CLIENT_AUTH_THROTTLER));
    if (blockedSeconds > 0) this.refuse(request, blockedSeconds);

    const credentials = basicCredentials(request.headers.authorization);
    const expected = (credentials && this.clients.get(credentials.id)) ?? digest('no such client');
    const matches = timingSafeEqual(expected, digest(credentials?.secret ?? ''));
    if (credentials && this.clients.has(credentials.id) && matches) {
      request.client = credentials.id;
      return true;
    }

    await this.audit.record({
      type: 'client.auth_failed',
      client: clientOf(request),
      // The id tried, never the secret; bounded, since the caller wrote it.
      details: { clientId: credentials?.id.slice(0, 100) ?? null },
    });
    const counted = await this.orZero(
      this.storage
        .increment(
          failures,
          CLIENT_AUTH_WINDOW_MS,
          CLIENT_AUTH_FAILURES_PER_ADDRESS,
          CLIENT_AUTH_WINDOW_MS,
          CLIENT_AUTH_THROTTLER,
        )
        .then(({ timeToBlockExpire }) => timeToBlockExpire),
    );
    if (counted > 0) this.refuse(request, counted);
    throw new ClientAuthenticationException();
  }

  private refuse(request: FastifyRequest, retryAfterSeconds: number): never {
    rateLimitRefusals.inc({ route: request.routeOptions?.url ?? 'unmatched' });
    throw new TooManyRequestsException(retryAfterSeconds);
  }

  /** As RateLimitGuard does, a storage that fails (Redis away) lets requests through; the secret still counts. */
  private async orZero(seconds: Promise<number>): Promise<number> {
    try {
      return await seconds;
    } catch (error) {
      this.logger.warn(
        `Client authentication failures are not counted: ${error instanceof Error ? error.message : 'storage error'}`,
      );
      return 0;
    }
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}
