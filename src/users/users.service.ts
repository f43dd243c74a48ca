import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { isUniqueViolation } from '../database/database';
import { mailMessages } from '../metrics/metrics';
import type { ClientInfo } from '../sessions/session';
import { normaliseEmail } from '../common/credentials-rules';
import { CredentialsService } from './credentials.service';
import { EmailVerificationService } from './email-verification.service';
import { type AuthUser, type Role, ROLES, type SignedInUser, type User } from './user';
import { UsersRepository } from './users.repository';

export interface Registration {
  username: string;
  email: string;
  password: string;
  fullName?: string | null;
}

export interface NewAccount extends Registration {
  roles?: Role[];
  emailVerified?: boolean;
}

export interface ProfileChanges {
  email?: string;
  fullName?: string | null;
  currentPassword?: string;
}

const TAKEN = 'Username or email is already taken';
const EMAIL_TAKEN = 'Email is already taken';
const USER_NOT_FOUND = 'User not found';

/** Accounts: registration, the bootstrap admin, and what users change of their own profile. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly credentials: CredentialsService,
    private readonly verifications: EmailVerificationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: ConfigService<Config, true>,
  ) {}

  async register(input: Registration, client: ClientInfo): Promise<User> {
    if (!this.config.get('registration', { infer: true }).isOpen) {
      throw new ForbiddenException('Registration is turned off');
    }
    const user = await this.create({ ...input, roles: ['user'] });
    await this.audit.record({ type: 'user.registered', userId: user.id, actorId: user.id, client });
    return user;
  }

  /**
   * A new account whose password passes the policy; 409 when the username or email is taken. An address not
   * verified already gets its verification link, written with the account.
   */
  async create({ password, roles = ['user'], emailVerified = false, ...account }: NewAccount): Promise<User> {
    const passwordHash = await this.credentials.hashNew(password, account);
    const verification = emailVerified ? undefined : this.verifications.forNewAccount(account);
    let user: User;
    try {
      user = await this.users.insert(
        { ...account, passwordHash, roles: normaliseRoles(roles), emailVerified },
        verification,
      );
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(TAKEN) : error;
    }
    if (verification) {
      this.verifications.countQueued(verification);
    }
    return user;
  }

  /** The caller of an access token, or undefined when its session ended or the user was disabled or deleted. */
  findSignedIn(userId: string, sessionId: string): Promise<SignedInUser | undefined> {
    return this.users.findSignedIn(userId, sessionId);
  }

  findById(id: string): Promise<User | undefined> {
    return this.users.findById(id);
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
    const confirmed =
      currentPassword === undefined ? undefined : await this.credentials.confirm(me, currentPassword, client);
    const isNewEmail = email !== undefined && confirmed !== undefined && !sameAddress(email, confirmed.email);
    // With mail, a new address waits for its confirmation link (pendingEmail); without, it is taken at once.
    const isPending = isNewEmail && this.config.get('mail', { infer: true }).isEnabled;
    if (isPending) {
      if (await this.users.existsByEmail(email, me.id)) {
        throw new ConflictException(EMAIL_TAKEN);
      }
      await this.verifications.requestChange(confirmed, email, client);
    }
    const changes = { email: isNewEmail && !isPending ? email : undefined, fullName };
    let user: User | undefined;
    try {
      user =
        changes.email === undefined && fullName === undefined
          ? await this.users.findById(me.id)
          : await this.users.update(me.id, { ...changes, ...(changes.email && { emailVerified: false }) });
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(EMAIL_TAKEN) : error;
    }
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

  /**
   * Deletes an account, unless it is the last enabled admin (409): its sessions end at once, and its second factor
   * and pending one-time tokens go with it. `byOwner` (the owner's own request): its audit events also lose the
   * addresses and user agents they recorded, and a notice goes to the address, in the same transaction.
   */
  async delete(id: string, { byOwner = false } = {}): Promise<User> {
    const noticeAt =
      byOwner && this.config.get('mail', { infer: true }).isEnabled ? this.clock.now() : undefined;
    const result = await this.users.deleteKeepingAnAdmin(id, byOwner ? { noticeAt } : undefined);
    if (result.outcome === 'not-found') {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    if (result.outcome === 'last-admin') {
      throw new ConflictException('The last enabled admin cannot be deleted');
    }
    if (noticeAt) {
      mailMessages.inc({ template: 'account-deleted', outcome: 'queued' });
    }
    return result.value;
  }

  /**
   * DELETE /users/me, after its step-up: the password re-entered (403 wrong, 429 locked), then the account goes.
   * The event keeps no address or user agent either (no client): it would outlive the ones just erased.
   */
  async deleteOwn(me: AuthUser, password: string, client: ClientInfo): Promise<void> {
    await this.credentials.confirm(me, password, client, { field: 'password' });
    await this.delete(me.id, { byOwner: true });
    // The request's id only: its log line is found with the request's, and no address outlives the erasure.
    await this.audit.record({
      type: 'user.deleted',
      userId: me.id,
      actorId: me.id,
      client: { requestId: client.requestId },
    });
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
      const admin = await this.create({ ...account, roles: ['user', 'admin'], emailVerified: true });
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
}

/** The names of the fields a change sets, for the audit log (not their values: they may be personal). */
export const changedFields = (changes: object): string[] =>
  Object.entries(changes)
    .filter(([, value]) => value !== undefined)
    .map(([field]) => field);

/** Without duplicates, in a fixed order, so that responses are stable. */
export const normaliseRoles = (roles: Role[]): Role[] => ROLES.filter((role) => roles.includes(role));

/** Whether two addresses are one, as the unique index on lower(email) sees them. */
const sameAddress = (a: string, b: string): boolean =>
  normaliseEmail(a).toLowerCase() === normaliseEmail(b).toLowerCase();
