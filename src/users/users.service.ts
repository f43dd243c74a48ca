import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Actor } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { Page } from '../common/pagination';
import { SignInLimits } from '../rate-limit/sign-in-limits';
import type { Env } from '../config/env.schema';
import { isUniqueViolation } from '../database/database';
import type { ClientInfo } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { PasswordHasher } from '../passwords/password-hasher';
import { PasswordPolicy } from '../passwords/password-policy';
import { type AuthUser, type Role, ROLES, type User } from './user';
import {
  type GuardedResult,
  type Credentials,
  type LockoutPolicy,
  type UserChanges,
  UsersRepository,
  type UserSearch,
} from './users.repository';

export interface Registration {
  username: string;
  email: string;
  password: string;
  fullName?: string | null;
}

export interface NewAccount extends Registration {
  roles?: Role[];
}

export interface ProfileChanges {
  email?: string;
  fullName?: string | null;
  currentPassword?: string;
}

export type CredentialCheck =
  | { outcome: 'valid'; user: User }
  | { outcome: 'disabled'; user: User }
  | { outcome: 'wrong'; userId?: string; lockedUntil?: Date }
  | { outcome: 'locked'; userId: string; retryAfterSeconds: number }
  | { outcome: 'limited'; retryAfterSeconds: number };

const TAKEN = 'Username or email is already taken';
const EMAIL_TAKEN = 'Email is already taken';
const WRONG_PASSWORD = 'currentPassword is wrong';
const USER_NOT_FOUND = 'User not found';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly signInLimits: SignInLimits,
    private readonly config: ConfigService<Env, true>,
    private readonly clock: Clock,
  ) {
    this.lockout = {
      threshold: config.get('LOCKOUT_THRESHOLD', { infer: true }),
      baseSeconds: config.get('LOCKOUT_BASE_SECONDS', { infer: true }),
      maxSeconds: config.get('LOCKOUT_MAX_SECONDS', { infer: true }),
    };
  }

  private readonly lockout: LockoutPolicy;

  async register(input: Registration, client: ClientInfo): Promise<User> {
    if (!this.config.get('ALLOW_REGISTRATION', { infer: true })) {
      throw new ForbiddenException('Registration is turned off');
    }
    const user = await this.insert({ ...input, roles: ['user'] });
    await this.audit.record({ type: 'user.registered', userId: user.id, actorId: user.id, client });
    return user;
  }

  async createByAdmin(account: NewAccount, admin: Actor): Promise<User> {
    const user = await this.insert(account);
    await this.audit.record({
      type: 'user.created',
      userId: user.id,
      actorId: admin.id,
      client: admin.client,
      details: { roles: user.roles },
    });
    return user;
  }

  /**
   * The password is checked before the account's state, so only its holder learns that it is disabled. A right
   * password stored with another algorithm or weaker parameters than configured is hashed again (rehash on login).
   * Each check spends the account's budget (SignInLimits); past it, `limited`, and no password is compared.
   */
  async checkCredentials(login: string, password: string): Promise<CredentialCheck> {
    const found = await this.users.findCredentials(login);
    const budget = await this.signInLimits.claim(found ? { userId: found.user.id } : { login });
    if (!budget.allowed) {
      return { outcome: 'limited', retryAfterSeconds: budget.retryAfterSeconds };
    }
    if (!found) {
      await this.passwords.verify(password, undefined);
      return { outcome: 'wrong' };
    }
    const attempt = await this.attemptPassword(found, password);
    if (attempt.outcome === 'locked') {
      return { outcome: 'locked', userId: found.user.id, retryAfterSeconds: attempt.retryAfterSeconds };
    }
    if (attempt.outcome === 'wrong') {
      return { outcome: 'wrong', userId: found.user.id, lockedUntil: attempt.lockedUntil };
    }
    if (this.passwords.needsRehash(found.passwordHash)) {
      await this.users.upgradePasswordHash(
        found.user.id,
        found.passwordHash,
        await this.passwords.hash(password),
      );
    }
    return { outcome: found.user.disabled ? 'disabled' : 'valid', user: found.user };
  }

  /** The caller of an access token, or undefined when its session ended or the user was disabled or deleted. */
  findSignedIn(userId: string, sessionId: string): Promise<AuthUser | undefined> {
    return this.users.findSignedIn(userId, sessionId);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    return user;
  }

  async updateProfile(
    me: AuthUser,
    { email, fullName, currentPassword }: ProfileChanges,
    client: ClientInfo,
  ): Promise<User> {
    if (email !== undefined && currentPassword === undefined) {
      throw new BadRequestException('currentPassword is required to change the email');
    }
    if (currentPassword !== undefined) {
      await this.confirmPassword(me, currentPassword, client);
    }
    const changes = { email, fullName };
    const user = await this.guardConflicts(() => this.users.update(me.id, changes));
    if (!user) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    await this.audit.record({
      type: 'user.updated',
      userId: me.id,
      actorId: me.id,
      client,
      details: { fields: changedFields(changes) },
    });
    return user;
  }

  /** Sets a new password and ends every other session of the user, so a thief signed in elsewhere is out. */
  async changePassword(
    me: AuthUser,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.confirmPassword(me, currentPassword, client);
    await this.enforcePolicy(newPassword, user);
    await this.users.updatePasswordHash(me.id, await this.passwords.hash(newPassword));
    await this.sessions.endAllOf(me.id, { except: me.sessionId });
    await this.audit.record({ type: 'password.changed', userId: me.id, actorId: me.id, client });
  }

  async search(query: UserSearch): Promise<Page<User>> {
    const { items, total } = await this.users.search(query);
    return { items, total, page: query.page, limit: query.limit };
  }

  /** Admin changes; disabling ends the user's sessions, and the last enabled admin can neither go nor lose the role. */
  async updateByAdmin(id: string, changes: UserChanges, admin: Actor): Promise<User> {
    const roles = changes.roles && normaliseRoles(changes.roles);
    const result = await this.guardConflicts(() =>
      this.users.updateKeepingAnAdmin(id, { ...changes, roles }),
    );
    const user = unwrap(result, 'The last enabled admin cannot be disabled or lose the admin role');
    if (user.disabled) {
      await this.sessions.endAllOf(id);
    }
    await this.audit.record({
      type: 'user.updated',
      userId: id,
      actorId: admin.id,
      client: admin.client,
      details: {
        fields: changedFields(changes),
        ...(changes.roles && { roles: user.roles }),
        ...(changes.disabled !== undefined && { disabled: user.disabled }),
      },
    });
    return user;
  }

  async deleteByAdmin(id: string, admin: Actor): Promise<void> {
    const deleted = unwrap(
      await this.users.deleteKeepingAnAdmin(id),
      'The last enabled admin cannot be deleted',
    );
    await this.audit.record({
      type: 'user.deleted',
      userId: id,
      actorId: admin.id,
      client: admin.client,
      details: { username: deleted.username },
    });
  }

  /** Clears the account's failed sign-ins and lockout, and its per-account sign-in limit. */
  async unlock(id: string, admin: Actor): Promise<void> {
    const user = await this.users.clearFailedSignIns(id);
    if (!user) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    await this.signInLimits.reset(user.id);
    await this.audit.record({ type: 'user.unlocked', userId: id, actorId: admin.id, client: admin.client });
  }

  async stats(): Promise<{ users: number; admins: number; disabledUsers: number; activeSessions: number }> {
    const [counts, activeSessions] = await Promise.all([this.users.countByKind(), this.sessions.countLive()]);
    return { ...counts, activeSessions };
  }

  /**
   * Creates the bootstrap admin on a database that has no admin yet (and no user of that name); false when it
   * did not. Once any admin exists this does nothing, so deleting the bootstrap admin is for good.
   */
  async ensureAdmin(account: Registration): Promise<boolean> {
    if ((await this.users.hasAdmin()) || (await this.users.existsByUsername(account.username))) {
      return false;
    }
    try {
      const admin = await this.insert({ ...account, roles: ['user', 'admin'] });
      await this.audit.record({
        type: 'user.created',
        userId: admin.id,
        details: { bootstrap: true, roles: admin.roles },
      });
      return true;
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (error instanceof ConflictException && (await this.users.existsByUsername(account.username))) {
        return false;
      }
      throw error;
    }
  }

  private async insert({ password, roles = ['user'], ...account }: NewAccount): Promise<User> {
    await this.enforcePolicy(password, account);
    const passwordHash = await this.passwords.hash(password);
    try {
      return await this.users.insert({ ...account, passwordHash, roles: normaliseRoles(roles) });
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(TAKEN) : error;
    }
  }

  private async enforcePolicy(password: string, owner: { username: string; email: string }): Promise<void> {
    const problem = await this.policy.problem(password, owner);
    if (problem) {
      throw new BadRequestException([problem]);
    }
  }

  /**
   * A re-entered password (currentPassword) counts against the same lockout and per-account budget as sign-in,
   * so a stolen session cannot guess it freely: 403 when wrong, 429 while locked. Answers the user, as just read.
   */
  private async confirmPassword(
    me: { id: string; username: string },
    password: string,
    client: ClientInfo,
  ): Promise<User> {
    const found = await this.users.findCredentials(me.username);
    if (!found || found.user.id !== me.id) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    const budget = await this.signInLimits.claim({ userId: me.id });
    if (!budget.allowed) {
      throw new TooManyRequestsException(budget.retryAfterSeconds);
    }
    const attempt = await this.attemptPassword(found, password);
    if (attempt.outcome === 'valid') {
      return found.user;
    }
    await this.audit.record({
      type: 'login.failed',
      userId: me.id,
      actorId: me.id,
      client,
      details: { reason: attempt.outcome === 'locked' ? 'locked' : 'wrong current password' },
    });
    if (attempt.outcome === 'locked') {
      throw new TooManyRequestsException(attempt.retryAfterSeconds);
    }
    if (attempt.lockedUntil) {
      await this.audit.record({
        type: 'login.locked',
        userId: me.id,
        client,
        details: { lockedUntil: attempt.lockedUntil.toISOString() },
      });
    }
    throw new ForbiddenException(WRONG_PASSWORD);
  }

  /**
   * One password attempt on an account: compared first, then settled against the lockout in one statement, so
   * right passwords racing each other all get in, and an account locked at that moment answers locked whatever
   * the comparison said (no guess past the threshold is ever answered).
   */
  private async attemptPassword(
    found: Credentials,
    password: string,
  ): Promise<
    | { outcome: 'valid' }
    | { outcome: 'wrong'; lockedUntil?: Date }
    | { outcome: 'locked'; retryAfterSeconds: number }
  > {
    const matches = await this.passwords.verify(password, found.passwordHash);
    const now = this.clock.now();
    const settled = await this.users.settlePasswordAttempt(found.user.id, matches, now, this.lockout);
    if (settled.locked) {
      const remainingMs = (settled.lockedUntil?.getTime() ?? now.getTime()) - now.getTime();
      return { outcome: 'locked', retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) };
    }
    if (matches) {
      return { outcome: 'valid' };
    }
    return {
      outcome: 'wrong',
      lockedUntil: settled.lockedUntil && settled.lockedUntil > now ? settled.lockedUntil : undefined,
    };
  }

  private async guardConflicts<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(EMAIL_TAKEN) : error;
    }
  }
}

const unwrap = <T>(result: GuardedResult<T>, lastAdminMessage: string): T => {
  if (result.outcome === 'not-found') {
    throw new NotFoundException(USER_NOT_FOUND);
  }
  if (result.outcome === 'last-admin') {
    throw new ConflictException(lastAdminMessage);
  }
  return result.value;
};

/** The names of the fields a change sets, for the audit log (not their values: they may be personal). */
const changedFields = (changes: object): string[] =>
  Object.entries(changes)
    .filter(([, value]) => value !== undefined)
    .map(([field]) => field);

/** Without duplicates, in a fixed order, so that responses are stable. */
const normaliseRoles = (roles: Role[]): Role[] => ROLES.filter((role) => roles.includes(role));
