import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { Actor } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../database/database';
import { SessionsService } from '../sessions/sessions.service';
import { CredentialsService } from '../users/credentials.service';
import type { User, UserChanges } from '../users/user';
import { changedFields, type NewAccount, normaliseRoles, UsersService } from '../users/users.service';
import { AdminUsersRepository, type GuardedResult, type UserSearch } from './admin-users.repository';

export interface Dashboard {
  users: number;
  admins: number;
  disabledUsers: number;
  mfaUsers: number;
  activeSessions: number;
}

const USER_NOT_FOUND = 'User not found';
const EMAIL_TAKEN = 'Email is already taken';

/** What an admin does to users: search, create, change, delete, unlock; and the dashboard's counts. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly adminUsers: AdminUsersRepository,
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  async search(query: UserSearch): Promise<Page<User>> {
    const { items, total } = await this.adminUsers.search(query);
    return { items, total, page: query.page, limit: query.limit };
  }

  get(id: string): Promise<User> {
    return this.users.get(id);
  }

  async create(account: NewAccount, admin: Actor): Promise<User> {
    const user = await this.users.create(account);
    await this.audit.record({
      type: 'user.created',
      userId: user.id,
      actorId: admin.id,
      client: admin.client,
      details: { roles: user.roles },
    });
    return user;
  }

  /** Disabling ends the user's sessions, and the last enabled admin can neither go nor lose the role. */
  async update(id: string, changes: UserChanges, admin: Actor): Promise<User> {
    const roles = changes.roles && normaliseRoles(changes.roles);
    let result: GuardedResult<User>;
    try {
      result = await this.adminUsers.updateKeepingAnAdmin(id, { ...changes, roles });
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(EMAIL_TAKEN) : error;
    }
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

  async delete(id: string, admin: Actor): Promise<void> {
    const deleted = await this.users.delete(id);
    await this.audit.record({
      type: 'user.deleted',
      userId: id,
      actorId: admin.id,
      client: admin.client,
      details: { username: deleted.username },
    });
  }

  async unlock(id: string, admin: Actor): Promise<void> {
    if (!(await this.credentials.unlock(id))) {
      throw new NotFoundException(USER_NOT_FOUND);
    }
    await this.audit.record({ type: 'user.unlocked', userId: id, actorId: admin.id, client: admin.client });
  }

  async dashboard(): Promise<Dashboard> {
    const [counts, activeSessions] = await Promise.all([
      this.adminUsers.countByKind(),
      this.sessions.countLive(),
    ]);
    return { ...counts, activeSessions };
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
