import { randomBytes } from 'node:crypto';
import {
  BadRequestException,
  Logger,
  ConflictException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import type { SecondFactorChange } from '../mail/templates/second-factor-changed';
import { mailMessages } from '../metrics/metrics';
import { AccountTokens } from '../secrets/account-tokens';
import { DataEncryption } from '../secrets/data-encryption';
import type { ClientInfo, SignInProof } from '../sessions/session';
import { CredentialsService } from '../users/credentials.service';
import type { AuthUser, User } from '../users/user';
import { UsersService } from '../users/users.service';
import { MfaRepository, type Notice, type TotpFactor } from './mfa.repository';
import {
  matchingTimeStep,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  parseOneTimeCode,
  recoveryCodeHash,
} from './one-time-codes';

export const INVALID_MFA_TOKEN = 'Invalid, used or expired mfa_token';
export const WRONG_CODE = 'Wrong code';
const NO_PENDING_ENROLMENT = 'No enrolment is pending: start one with POST /users/me/mfa/totp';
const ALREADY_ENABLED = 'A second factor is enabled already: remove it first';
const NOT_ENABLED = 'No second factor is enabled';

// A secret shown for enrolment waits this long for its first code.
const ENROLMENT_SECONDS = 10 * 60;
const MFA_TOKEN_SECONDS = 5 * 60;
export const MFA_TOKEN_MAX_FAILURES = 5;

/** Binds a sealed TOTP secret to its account: a ciphertext copied to another row does not decrypt. */
const secretContext = (userId: string) => `totp:${userId}`;

/**
 * A second factor (TOTP, RFC 6238, with recovery codes): enrolment and removal, the codes checked once each, and
 * the sign-ins waiting for a code (`mfa_token`). Every change is audited and told to the account's address.
 */
@Injectable()
export class MfaService {
  private readonly logger = new Logger(MfaService.name);
  private readonly mail: Config['mail'];

  constructor(
    private readonly factors: MfaRepository,
    private readonly encryption: DataEncryption,
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: ConfigService<Config, true>,
  ) {
    this.mail = config.get('mail', { infer: true });
  }

  async status(userId: string): Promise<{ totp: boolean; recoveryCodesLeft: number }> {
    const factor = await this.factors.findFactor(userId);
    const totp = Boolean(factor?.confirmedAt);
    return { totp, recoveryCodesLeft: totp ? await this.factors.countRecoveryCodesLeft(userId) : 0 };
  }

  /** A new secret, pending until a code of it confirms it; 409 while a confirmed one is there. */
  async startEnrolment(me: AuthUser): Promise<{ secret: string; otpauthUri: string }> {
    const secret = newTotpSecret();
    const sealed = this.encryption.encrypt(secret, secretContext(me.id));
    if (!(await this.factors.startEnrolment(me.id, sealed, this.clock.now()))) {
      throw new ConflictException(ALREADY_ENABLED);
    }
    return { secret, otpauthUri: otpauthUri(this.mail.appName, me.username, secret) };
  }

  /** A first code proves the app holds the secret: the factor is on, and its recovery codes are shown once. */
  async confirmEnrolment(
    me: AuthUser,
    input: string,
    client: ClientInfo,
  ): Promise<{ recoveryCodes: string[] }> {
    const now = this.clock.now();
    const pendingSince = new Date(now.getTime() - ENROLMENT_SECONDS * 1000);
    const factor = await this.factors.findFactor(me.id);
    if (!factor || factor.confirmedAt || factor.createdAt <= pendingSince) {
      throw new BadRequestException(NO_PENDING_ENROLMENT);
    }
    const code = parseOneTimeCode(input);
    const secret = this.secretOf(factor, me.id);
    const step = secret && code?.kind === 'totp' ? await matchingTimeStep(secret, code.code, now) : undefined;
    if (step === undefined) {
      throw new BadRequestException(WRONG_CODE);
    }
    const user = await this.users.get(me.id);
    const recoveryCodes = newRecoveryCodes();
    const isConfirmed = await this.factors.confirmEnrolment(
      me.id,
      factor.secret,
      step,
      pendingSince,
      now,
      recoveryCodes.map(recoveryCodeHash),
      this.notice(user, 'enabled'),
    );
    if (!isConfirmed) {
      throw new BadRequestException(NO_PENDING_ENROLMENT);
    }
    this.countNotice();
    await this.audit.record({ type: 'mfa.enabled', userId: me.id, actorId: me.id, client });
    return { recoveryCodes };
  }

  /** A fresh set of recovery codes; the old set stops working. 409 without a second factor. */
  async renewRecoveryCodes(me: AuthUser, client: ClientInfo): Promise<{ recoveryCodes: string[] }> {
    const user = await this.users.get(me.id);
    const recoveryCodes = newRecoveryCodes();
    const isRenewed = await this.factors.replaceRecoveryCodes(
      me.id,
      recoveryCodes.map(recoveryCodeHash),
      this.clock.now(),
      this.notice(user, 'recovery-codes-renewed'),
    );
    if (!isRenewed) {
      throw new ConflictException('Enable a second factor first');
    }
    this.countNotice();
    await this.audit.record({ type: 'mfa.recovery_codes_renewed', userId: me.id, actorId: me.id, client });
    return { recoveryCodes };
  }

  /** Removes the factor and its codes, by its user or (`byAdmin`) an admin; 404 for no user or no factor. */
  async remove(userId: string, actor: { id: string; client: ClientInfo }, byAdmin = false): Promise<void> {
    const user = await this.users.get(userId);
    const notice = this.notice(user, byAdmin ? 'disabled-by-admin' : 'disabled');
    if (!(await this.factors.remove(userId, this.clock.now(), notice))) {
      throw new NotFoundException(NOT_ENABLED);
    }
    this.countNotice();
    await this.audit.record({ type: 'mfa.disabled', userId, actorId: actor.id, client: actor.client });
  }

  /**
   * Whether `input` is a right code of the user's second factor, used up if so: a TOTP code's time step is claimed
   * in one statement (never a step already used, or an earlier one), a recovery code is spent in one statement.
   */
  async checkCode(user: User, input: string, client: ClientInfo): Promise<boolean> {
    const code = parseOneTimeCode(input);
    if (!code) {
      return false;
    }
    const now = this.clock.now();
    if (code.kind === 'recovery_code') {
      const left = await this.factors.useRecoveryCode(user.id, recoveryCodeHash(code.code), now);
      if (left === undefined) {
        return false;
      }
      await this.factors.queueNotice(this.notice(user, 'recovery-code-used', { left: String(left) }), now);
      this.countNotice();
      await this.audit.record({
        type: 'mfa.recovery_code_used',
        userId: user.id,
        actorId: user.id,
        client,
        details: { recoveryCodesLeft: left },
      });
      return true;
    }
    const factor = await this.factors.findFactor(user.id);
    if (!factor?.confirmedAt) {
      return false;
    }
    const secret = this.secretOf(factor, user.id);
    if (!secret) {
      return false;
    }
    const step = await matchingTimeStep(secret, code.code, now, factor.lastUsedStep);
    const resealed = this.encryption.isCurrent(factor.secret.keyId)
      ? undefined
      : this.encryption.encrypt(secret, secretContext(user.id));
    return step !== undefined && (await this.factors.claimStep(user.id, step, resealed));
  }

  /** A sign-in waiting for a code: the `mfa_token` that completes it, for this client, for five minutes. */
  async challenge(userId: string, client: ClientInfo): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.factors.createChallenge({
      userId,
      tokenHash: AccountTokens.hash(token),
      ...this.clientOf(client),
      expiresAt: new Date(now.getTime() + MFA_TOKEN_SECONDS * 1000),
      now,
      maxFailures: MFA_TOKEN_MAX_FAILURES,
    });
    return token;
  }

  /**
   * POST /auth/mfa: an `mfa_token` and a code, as a proof for the sign-in rules. 401 for a token that is unknown,
   * spent, expired, struck out or another client's; a wrong code strikes the token and counts in the lockout.
   */
  async redeem(mfaToken: string, input: string, client: ClientInfo): Promise<SignInProof> {
    const now = this.clock.now();
    const challenge = AccountTokens.isWellFormed(mfaToken)
      ? await this.factors.attemptChallenge(
          AccountTokens.hash(mfaToken),
          this.clientOf(client),
          now,
          MFA_TOKEN_MAX_FAILURES,
        )
      : undefined;
    if (!challenge) {
      throw new UnauthorizedException(INVALID_MFA_TOKEN);
    }
    const refusal = await this.credentials.beforeCodeCheck(challenge.userId);
    if (refusal) {
      return refusal;
    }
    const user = await this.users.findById(challenge.userId);
    if (!user) {
      throw new UnauthorizedException(INVALID_MFA_TOKEN);
    }
    if (!(await this.checkCode(user, input, client))) {
      return this.credentials.countWrongCode(user.id);
    }
    if (!(await this.factors.completeChallenge(challenge.id))) {
      throw new UnauthorizedException(INVALID_MFA_TOKEN);
    }
    return { outcome: 'proved', user, methods: ['pwd', 'otp'] };
  }

  /** The password grant's `otp`: a right password and a code together, as one proof. */
  async withCode(
    proof: Extract<SignInProof, { outcome: 'proved' }>,
    input: string,
    client: ClientInfo,
  ): Promise<SignInProof> {
    const lock = await this.credentials.beforeCodeCheck(proof.user.id, { spendsBudget: false });
    if (lock) {
      return lock;
    }
    if (!(await this.checkCode(proof.user, input, client))) {
      return this.credentials.countWrongCode(proof.user.id);
    }
    return { ...proof, methods: ['pwd', 'otp'] };
  }

  /**
   * The secret of a stored factor; undefined when it cannot be opened (its key is in neither
   * DATA_ENCRYPTION_KEY nor DATA_ENCRYPTION_PREVIOUS_KEYS, or the row was altered or copied from another account):
   * then no code matches, as for a wrong code, and the operator is told which key.
   */
  private secretOf(factor: TotpFactor, userId: string): string | undefined {
    try {
      return this.encryption.decrypt(factor.secret, secretContext(userId));
    } catch (error) {
      this.logger.error(`The TOTP secret of user ${userId} cannot be opened: ${(error as Error).message}`);
      return undefined;
    }
  }

  private clientOf(client: ClientInfo): { ip: string | null; userAgent: string | null } {
    return { ip: client.ip ?? null, userAgent: client.userAgent ?? null };
  }

  private notice(
    user: User,
    change: SecondFactorChange,
    fields: Record<string, string> = {},
  ): Notice | undefined {
    return this.mail.isEnabled
      ? { recipient: user.email, fields: { username: user.username, change, ...fields } }
      : undefined;
  }

  private countNotice(): void {
    if (this.mail.isEnabled) {
      mailMessages.inc({ template: 'second-factor-changed', outcome: 'queued' });
    }
  }
}
