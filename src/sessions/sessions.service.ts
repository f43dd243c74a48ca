import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';
import { Secrets } from '../secrets/secrets';
import { RefreshTokens } from './refresh-tokens';
import type { Authentication, ClientInfo, Session } from './session';
import { type SessionLifetime, SessionsRepository } from './sessions.repository';

export type Rotation =
  | { outcome: 'rotated'; session: Session; refreshToken: string }
  | { outcome: 'replayed-in-grace'; session: Session; refreshToken: string }
  | { outcome: 'reuse-detected'; session: Session }
  | { outcome: 'invalid' };

@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly refreshTokens: RefreshTokens;
  private readonly refreshTtlSeconds: number;
  private readonly maxLifetimeSeconds: number;
  private readonly graceSeconds: number;

  constructor(
    private readonly sessions: SessionsRepository,
    config: ConfigService<Config, true>,
    secrets: Secrets,
  ) {
    this.refreshTokens = new RefreshTokens(secrets.refreshTokenKey);
    const lifetimes = config.get('sessions', { infer: true });
    this.refreshTtlSeconds = lifetimes.refreshTokenTtlSeconds;
    this.maxLifetimeSeconds = lifetimes.maxLifetimeSeconds;
    this.graceSeconds = lifetimes.reuseGraceSeconds;
  }

  private get lifetime(): SessionLifetime {
    return { slidingSeconds: this.refreshTtlSeconds, maxSeconds: this.maxLifetimeSeconds };
  }

  /** A new session of a sign-in and its first refresh token; undefined when the user is disabled by then. */
  async start(
    userId: string,
    authentication: Authentication,
    client: ClientInfo,
  ): Promise<{ session: Session; refreshToken: string } | undefined> {
    const refreshToken = RefreshTokens.generate();
    const session = await this.sessions.create({
      userId,
      userAgent: client.userAgent,
      ip: client.ip,
      authMethods: authentication.methods,
      authenticatedAt: authentication.at,
      clientId: client.clientId ?? null,
      lifetime: this.lifetime,
      refreshTokenHash: RefreshTokens.hash(refreshToken),
    });
    return session && { session, refreshToken };
  }

  /** A session's new sign-in (step-up) and the refresh token that replaces its current one; undefined if ended. */
  async reauthenticate(
    sessionId: string,
    userId: string,
    authentication: Authentication,
  ): Promise<{ session: Session; refreshToken: string } | undefined> {
    const refreshToken = RefreshTokens.generate();
    const session = await this.sessions.reauthenticate(
      sessionId,
      userId,
      authentication,
      RefreshTokens.hash(refreshToken),
    );
    return session && { session, refreshToken };
  }

  /**
   * Exchanges a refresh token for its successor. A token rotated moments ago (within the grace window, as when
   * two tabs refresh at once) gets the same successor again; one rotated earlier is taken as stolen and ends
   * its whole session (OAuth 2.0 Security BCP, refresh token rotation). Only the client the session was signed in
   * through may refresh it (RFC 6749 §6): for another, the token is as unknown as a made-up one.
   */
  async rotate(refreshToken: string, clientId?: string): Promise<Rotation> {
    if (!RefreshTokens.isWellFormed(refreshToken)) {
      return { outcome: 'invalid' };
    }
    const tokenHash = RefreshTokens.hash(refreshToken);
    const successor = this.refreshTokens.successorOf(refreshToken);
    const successorHash = RefreshTokens.hash(successor);

    const session = await this.sessions.rotate(tokenHash, successorHash, this.lifetime, clientId ?? null);
    if (session) {
      return { outcome: 'rotated', session, refreshToken: successor };
    }

    const spent = await this.sessions.findSpent(tokenHash, successorHash, this.graceSeconds);
    if (!spent) {
      return { outcome: 'invalid' };
    }
    const { session: spentSession, isWithinGrace, isSuccessorCurrent } = spent;
    const isSameClient = spentSession.clientId === (clientId ?? null);
    if (isWithinGrace && isSuccessorCurrent && isSameClient) {
      return { outcome: 'replayed-in-grace', session: spentSession, refreshToken: successor };
    }
    await this.sessions.revoke(spentSession.id);
    this.logger.warn(
      `Refresh token reuse detected: ended session ${spentSession.id} of user ${spentSession.userId}`,
    );
    return { outcome: 'reuse-detected', session: spentSession };
  }

  /** Ends the session a refresh token belongs to (RFC 7009); undefined when it names no live session. */
  async endByRefreshToken(refreshToken: string): Promise<Session | undefined> {
    if (!RefreshTokens.isWellFormed(refreshToken)) {
      return undefined;
    }
    return this.sessions.revokeByTokenHash(RefreshTokens.hash(refreshToken));
  }

  async end(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId);
  }

  /** Ends one of the user's own sessions; another user's session is as unknown as a missing one. */
  async endOwn(userId: string, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(sessionId, userId))) {
      throw new NotFoundException('Session not found');
    }
  }

  async endAllOf(userId: string, options: { except?: string } = {}): Promise<void> {
    await this.sessions.revokeAllOfUser(userId, options.except);
  }

  async listLive(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId);
  }

  async countLive(): Promise<number> {
    return this.sessions.countLive();
  }
}
