import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { Config } from '../config/config';
import { PasswordHasher } from '../passwords/password-hasher';
import { PasswordPolicy } from '../passwords/password-policy';
import { SignInLimits } from '../rate-limit/sign-in-limits';
import type { ClientInfo, SignInProof } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { type Credentials, CredentialsRepository, type LockoutPolicy } from './credentials.repository';
import type { AuthUser, User } from './user';

export type LockoutRelease = { locked: false } | { locked: true; retryAfterSeconds: number };
type Refusal<Outcome extends SignInProof['outcome']> = Extract<SignInProof, { outcome: Outcome }>;

const USER_NOT_FOUND = 'User not found';

/** Passwords and the lockout that guards them: checks, re-entered passwords, changes and unlocks. */
@Injectable()
export class CredentialsService {
  private readonly lockout: LockoutPolicy;

  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly passwords: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly signInLimits: SignInLimits,
    private readonly clock: Clock,
    config: ConfigService<Config, true>,
  ) {
    this.lockout = config.get('lockout', { infer: true });
  }

  /**
   * Who a login and password name. Each check spends the account's budget (SignInLimits); past it, `limited`, and
   * no password is compared. An unknown login costs a comparison too, so timing does not tell which accounts exist.
   */
  async check(login: string, password: string): Promise<SignInProof> {
    const found = await this.credentials.findCredentials(login);
    const budget = await this.signInLimits.claim(found ? { userId: found.user.id } : { login });
    if (!budget.allowed) {
      return { outcome: 'limited', retryAfterSeconds: budget.retryAfterSeconds };
    }
    if (!found) {
      await this.passwords.verify(password, undefined);
      return { outcome: 'wrong' };
    }
    if (!(await this.passwords.verify(password, found.passwordHash))) {
      const settled = await this.settle(found.user.id, false);
      return settled.locked
        ? { outcome: 'locked', userId: found.user.id, retryAfterSeconds: settled.retryAfterSeconds }
        : { outcome: 'wrong', userId: found.user.id, lockedUntil: settled.lockedUntil };
    }
    return {
      outcome: 'proved',
      user: found.user,
      methods: ['pwd'],
      upgrade: this.passwords.needsRehash(found.passwordHash)
        ? () => this.upgradeHash(found, password)
        : undefined,
    };
  }

  /**
   * A sign-in was proved: its account's failed sign-ins are forgotten, in the same one statement that finds it
   * locked at this moment (then nothing changes, however it was proved).
   */
  async release(userId: string): Promise<LockoutRelease> {
    const settled = await this.settle(userId, true);
    return settled.locked ? settled : { locked: false };
  }

  /**
   * Before a second factor's code is checked: it spends the account's budget as a password check does (unless
   * the password check of the same request spent it), and a locked account is refused with nothing checked.
   * Undefined when the code may be checked.
   */
  async beforeCodeCheck(
    userId: string,
    { spendsBudget = true } = {},
  ): Promise<Refusal<'limited' | 'locked'> | undefined> {
    const budget = spendsBudget ? await this.signInLimits.claim({ userId }) : undefined;
    if (budget && !budget.allowed) {
      return { outcome: 'limited', retryAfterSeconds: budget.retryAfterSeconds };
    }
    const lock = await this.lockState(userId);
    return lock.locked ? { outcome: 'locked', userId, retryAfterSeconds: lock.retryAfterSeconds } : undefined;
  }

  /** A wrong code of a second factor counts against the lockout as a wrong password does. */
  async countWrongCode(userId: string): Promise<Refusal<'wrong' | 'locked'>> {
    const settled = await this.settle(userId, false);
    return settled.locked
      ? { outcome: 'locked', userId, retryAfterSeconds: settled.retryAfterSeconds }
      : { outcome: 'wrong', userId, lockedUntil: settled.lockedUntil, isCode: true };
  }

  /**
   * A re-entered password (currentPassword) counts against the same lockout and per-account budget as sign-in,
   * so a stolen session cannot guess it freely: 403 when wrong, 429 while locked. Answers the user, as just read.
   * For an account with a second factor a right password leaves the failure count alone: only a whole proof
   * (password and code) clears it, or a password between wrong codes would wipe their count.
   */
  async confirm(
    me: { id: string; username: string },
    password: string,
    client: ClientInfo,
    { field = 'currentPassword' } = {},
  ): Promise<User> {
    const found = await this.credentials.findCredentials(me.username);
    if (!found || found.user.id !== me.id) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    const budget = await this.signInLimits.claim({ userId: me.id });
    if (!budget.allowed) {
      throw new TooManyRequestsException(budget.retryAfterSeconds);
    }
    const matches = await this.passwords.verify(password, found.passwordHash);
    const keepsFailures = matches && found.user.mfaEnabled;
    const settled = keepsFailures ? await this.lockState(me.id) : await this.settle(me.id, matches);
    if (matches && !settled.locked) {
      return found.user;
    }
    await this.audit.record({
      type: 'login.failed',
      userId: me.id,
      actorId: me.id,
      client,
      details: { reason: settled.locked ? 'locked' : 'wrong current password' },
    });
    if (settled.locked) {
      throw new TooManyRequestsException(settled.retryAfterSeconds);
    }
    if (settled.lockedUntil) {
      await this.audit.record({
        type: 'login.locked',
        userId: me.id,
        client,
        details: { lockedUntil: settled.lockedUntil.toISOString() },
      });
    }
    throw new ForbiddenException(`${field} is wrong`);
  }

  /** Sets a new password and ends every other session of the user, so a thief signed in elsewhere is out. */
  async changePassword(
    me: AuthUser,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.confirm(me, currentPassword, client);
    await this.enforcePolicy(newPassword, user);
    await this.credentials.updatePasswordHash(me.id, await this.passwords.hash(newPassword));
    await this.sessions.endAllOf(me.id, { except: me.sessionId });
    await this.audit.record({ type: 'password.changed', userId: me.id, actorId: me.id, client });
  }

  /** The hash a new account's password is stored as, once it passes the policy. */
  async hashNew(password: string, owner: { username: string; email: string }): Promise<string> {
    await this.enforcePolicy(password, owner);
    return this.passwords.hash(password);
  }

  /** Clears the account's failed sign-ins and lockout, and its per-account sign-in limit; undefined if no user. */
  async unlock(id: string): Promise<User | undefined> {
    const user = await this.credentials.clearFailedSignIns(id);
    if (user) {
      await this.signInLimits.reset(user.id);
    }
    return user;
  }

  private async enforcePolicy(password: string, owner: { username: string; email: string }): Promise<void> {
    const problem = await this.policy.problem(password, owner);
    if (problem) {
      throw new BadRequestException([problem]);
    }
  }

  /** A right password stored with another algorithm or weaker parameters than configured is hashed again. */
  private async upgradeHash(found: Credentials, password: string): Promise<void> {
    await this.credentials.upgradePasswordHash(
      found.user.id,
      found.passwordHash,
      await this.passwords.hash(password),
    );
  }

  /** Whether the account is locked now, changing nothing. */
  private async lockState(
    userId: string,
  ): Promise<{ locked: true; retryAfterSeconds: number } | { locked: false; lockedUntil?: Date }> {
    const now = this.clock.now();
    const lockedUntil = await this.credentials.findLockedUntil(userId);
    return lockedUntil && lockedUntil > now
      ? {
          locked: true,
          retryAfterSeconds: Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000)),
        }
      : { locked: false };
  }

  /**
   * One attempt settled against the lockout in one statement, so right passwords racing each other all get in,
   * and an account locked at that moment answers locked (no guess past the threshold is ever answered).
   */
  private async settle(
    userId: string,
    matches: boolean,
  ): Promise<{ locked: true; retryAfterSeconds: number } | { locked: false; lockedUntil?: Date }> {
    const now = this.clock.now();
    const settled = await this.credentials.settlePasswordAttempt(userId, matches, now, this.lockout);
    if (settled.locked) {
      const remainingMs = (settled.lockedUntil?.getTime() ?? now.getTime()) - now.getTime();
      return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) };
    }
    return {
      locked: false,
      lockedUntil: settled.lockedUntil && settled.lockedUntil > now ? settled.lockedUntil : undefined,
    };
  }
}
