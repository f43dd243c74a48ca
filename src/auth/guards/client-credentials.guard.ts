import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DEFAULT_IPV6_SUBNET_PREFIX, minutes, normalizeIp } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../../audit/audit.service';
import { ClientAuthenticationException } from '../../common/client-authentication.exception';
import { TooManyRequestsException } from '../../common/too-many-requests.exception';
import type { Config } from '../../config/config';
import { rateLimitRefusals } from '../../metrics/metrics';
import type { ResettableStorage } from '../../rate-limit/resettable-storage';
import { FailOpen } from '../../rate-limit/fail-open';
import { RATE_LIMIT_STORAGE } from '../../rate-limit/sign-in-limits';
import { clientOf } from '../../common/decorators/client-info.decorator';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Failed client authentications an address may make in a window before it is refused for as long. */
export const CLIENT_AUTH_FAILURES_PER_ADDRESS = 10;
const CLIENT_AUTH_WINDOW_MS = minutes(15);
const CLIENT_AUTH_THROTTLER = 'client-auth-failures';

/**
 * HTTP Basic authentication of the resource servers in INTROSPECTION_CLIENTS (RFC 6749 §2.3.1: id and secret
 * form-encoded inside Basic). Secrets are compared as SHA-256 digests in constant time, and an unknown id costs
 * the same comparison, so timing tells neither which ids exist nor how much of a secret was right. Each failure is
 * counted per address (in the rate limits' storage, shared through Redis) and audited; past
 * CLIENT_AUTH_FAILURES_PER_ADDRESS the address gets 429 for the window, right secret or not. A right secret is never
 * counted, so a busy resource server is not limited by its own calls.
 */
@Injectable()
export class ClientCredentialsGuard implements CanActivate {
  private readonly clients: Map<string, Buffer>;
  // As RateLimitGuard does, a storage that fails (Redis away) lets requests through; the secret still counts.
  private readonly storageFailure = new FailOpen(
    new Logger(ClientCredentialsGuard.name),
    'Client authentication failures are not counted',
  );

  constructor(
    config: ConfigService<Config, true>,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ResettableStorage,
    private readonly audit: AuditService,
  ) {
    this.clients = new Map(
      config.get('introspection', { infer: true }).clients.map(({ id, secret }) => [id, digest(secret)]),
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { client?: string }>();
    request.client = await this.authenticate(request, basicCredentials(request.headers.authorization));
    return true;
  }

  /**
   * The id of the confidential client these credentials (HTTP Basic, or the token endpoint's form) prove, or a
   * 401 invalid_client (429 past the address's failures), counted and audited as described above.
   */
  async authenticate(
    request: FastifyRequest,
    credentials: { id: string; secret: string } | undefined,
  ): Promise<string> {
    const failures = `${CLIENT_AUTH_THROTTLER}:${normalizeIp(request.ip, DEFAULT_IPV6_SUBNET_PREFIX)}`;
    const expected = (credentials && this.clients.get(credentials.id)) ?? digest('no such client');
    const matches = timingSafeEqual(expected, digest(credentials?.secret ?? ''));

    // No await before the storage is asked: calls reach it in the order they came, so however many race, a right
    // secret is refused once more than the limit of wrong ones came before it, and it never counts itself.
    if (credentials && this.clients.has(credentials.id) && matches) {
      const blockedSeconds = await this.storageFailure.or(
        this.storage.blockedSeconds(failures, CLIENT_AUTH_THROTTLER),
        0,
      );
      if (blockedSeconds > 0) {
        this.refuse(request, blockedSeconds);
      }
      return credentials.id;
    }

    // A failure is counted before it is answered, and decided by its own count (atomic, in memory and in Redis).
    const blockedSeconds = await this.storageFailure.or(
      this.storage
        .increment(
          failures,
          CLIENT_AUTH_WINDOW_MS,
          CLIENT_AUTH_FAILURES_PER_ADDRESS,
          CLIENT_AUTH_WINDOW_MS,
          CLIENT_AUTH_THROTTLER,
        )
        .then(({ isBlocked, timeToBlockExpire }) => (isBlocked ? Math.max(1, timeToBlockExpire) : 0)),
      0,
    );
    // Past the limit, nothing more is audited: a burst writes at most CLIENT_AUTH_FAILURES_PER_ADDRESS rows.
    if (blockedSeconds > 0) {
      this.refuse(request, blockedSeconds);
    }
    await this.audit.record({
      type: 'client.auth_failed',
      client: clientOf(request),
      // The id tried, never the secret; bounded, since the caller wrote it.
      details: { clientId: credentials?.id.slice(0, 100) ?? null },
    });
    throw new ClientAuthenticationException();
  }

  isConfidential(clientId: string): boolean {
    return this.clients.has(clientId);
  }

  private refuse(request: FastifyRequest, retryAfterSeconds: number): never {
    rateLimitRefusals.inc({ route: request.routeOptions?.url ?? 'unmatched' });
    throw new TooManyRequestsException(retryAfterSeconds);
  }
}

export function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) {
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}
