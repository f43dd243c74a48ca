import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { OAuthError } from '../common/oauth-error';
import { SecondFactorRequiredException } from '../common/second-factor.exceptions';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { Config } from '../config/config';
import { MfaService, WRONG_CODE } from '../mfa/mfa.service';
import { PASSKEY_REFUSED } from '../passkeys/passkeys.service';
import { type Authentication, type ClientInfo, isMultiFactor, type SignInProof } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { CredentialsService } from '../users/credentials.service';
import type { User } from '../users/user';
import type { TokenPairDto } from './dto/token-pair.dto';
import { TokensService } from './tokens.service';

/** A sign-in the account's rules accepted, waiting for its session. */
export interface AcceptedSignIn {
  user: User;
  authentication: Authentication;
}

export const WRONG_CREDENTIALS = 'Invalid username or password';
export const DISABLED = 'This account is disabled';
export const EMAIL_NOT_VERIFIED =
  'Verify your email address first: use the link sent to it, or ask for a new one';

/**
 * Where every way of signing in ends: a door proves who, this decides whether (disabled, lockout, rehash), then
 * starts the session, issues its tokens and records one event. Refusals are the JSON door's exceptions: 401 for
 * wrong credentials whether or not the account exists, 403 for a disabled account only once the proof was right,
 * 429 while locked or over the account's budget.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly mfa: MfaService,
    config: ConfigService<Config, true>,
  ) {
    this.requiresVerifiedEmail = config.get('registration', { infer: true }).requiresVerifiedEmail;
  }

  private readonly requiresVerifiedEmail: boolean;

  /** A proof through to its tokens. */
  async signIn(proof: SignInProof, client: ClientInfo): Promise<TokenPairDto> {
    return this.start(await this.accept(proof, client), client);
  }

  /** The account's rules on a proof; a refusal is recorded and thrown. */
  async accept(proof: SignInProof, client: ClientInfo): Promise<AcceptedSignIn> {
    switch (proof.outcome) {
      // Refused by the per-account budget before anything was checked, as the rate limits refuse: no event.
      case 'limited':
        throw new TooManyRequestsException(proof.retryAfterSeconds);
      case 'wrong':
        await this.recordFailure(
          proof.userId ?? null,
          proof.isPasskey ? 'passkey refused' : proof.isCode ? 'wrong code' : 'wrong credentials',
          client,
        );
        if (proof.lockedUntil) {
          await this.audit.record({
            type: 'login.locked',
            userId: proof.userId ?? null,
            client,
            details: { lockedUntil: proof.lockedUntil.toISOString() },
          });
        }
        throw new UnauthorizedException(
          proof.isPasskey ? PASSKEY_REFUSED : proof.isCode ? WRONG_CODE : WRONG_CREDENTIALS,
        );
      case 'locked':
        await this.recordFailure(proof.userId, 'locked', client);
        throw new TooManyRequestsException(proof.retryAfterSeconds);
      case 'proved':
        break;
    }
    const { user } = proof;
    if (user.mfaEnabled && !isMultiFactor(proof.methods)) {
      return this.requireSecondFactor(proof, client);
    }
    const release = await this.credentials.release(user.id);
    if (release.locked) {
      await this.recordFailure(user.id, 'locked', client);
      throw new TooManyRequestsException(release.retryAfterSeconds);
    }
    await proof.upgrade?.();
    await this.refuseBarredAccount(user, client);
    return { user, authentication: { methods: proof.methods, at: this.clock.now() } };
  }

  /**
   * The right password of an account with a second factor: refused as any sign-in would be (locked, disabled,
   * unverified), else a 403 with the mfa_token that completes it. Its failed sign-ins are not cleared: only
   * the whole proof does that, so codes cannot be guessed by giving the password between them.
   */
  private async requireSecondFactor(
    proof: Extract<SignInProof, { outcome: 'proved' }>,
    client: ClientInfo,
  ): Promise<never> {
    const { user } = proof;
    const lock = await this.credentials.beforeCodeCheck(user.id, { spendsBudget: false });
    if (lock) {
      await this.recordFailure(user.id, 'locked', client);
      throw new TooManyRequestsException(lock.retryAfterSeconds);
    }
    await proof.upgrade?.();
    await this.refuseBarredAccount(user, client);
    const mfaToken = await this.mfa.challenge(user.id, client);
    await this.audit.record({ type: 'login.mfa_required', userId: user.id, client });
    throw new SecondFactorRequiredException(mfaToken);
  }

  private async refuseBarredAccount(user: User, client: ClientInfo): Promise<void> {
    if (user.disabled) {
      await this.recordFailure(user.id, 'disabled', client);
      throw new ForbiddenException(DISABLED);
    }
    if (this.requiresVerifiedEmail && !user.emailVerified) {
      await this.recordFailure(user.id, 'email not verified', client);
      throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    }
  }

  /** The session of an accepted sign-in and its first tokens; 403 if the user was disabled meanwhile. */
  async start({ user, authentication }: AcceptedSignIn, client: ClientInfo): Promise<TokenPairDto> {
    const started = await this.sessions.start(user.id, authentication, client);
    if (!started) {
      throw new ForbiddenException(DISABLED);
    }
    const pair = await this.tokens.pair(user, started.session, started.refreshToken);
    await this.audit.record({
      type: 'login.succeeded',
      userId: user.id,
      actorId: user.id,
      client,
      details: { sessionId: started.session.id },
    });
    return pair;
  }

  private recordFailure(userId: string | null, reason: string, client: ClientInfo): Promise<void> {
    return this.audit.record({ type: 'login.failed', userId, client, details: { reason } });
  }
}

/**
 * The token endpoint's words for a refusal (RFC 6749 §5.2): wrong or disabled is invalid_grant; a second factor
 * required is a 403 mfa_required with its mfa_token; 429 stays.
 */
export function asGrantError(error: unknown): unknown {
  if (error instanceof SecondFactorRequiredException) {
    return new OAuthError('mfa_required', error.message, 403, { mfa_token: error.mfaToken });
  }
  const isRefusal = error instanceof UnauthorizedException || error instanceof ForbiddenException;
  return isRefusal ? new OAuthError('invalid_grant', error.message) : error;
}
