import { CachedReflector } from '../../common/cached-reflector';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Role } from '../../users/user';
import type { AuthUser } from '../../users/user';
import { Roles } from '../decorators/roles.decorator';
import { RolesGuard } from './roles.guard';

class OpenController {
  anyone(): void {}

  @Roles(['admin'])
  adminsOnly(): void {}

  @Roles(['user', 'admin'])
  usersOrAdmins(): void {}

  @Roles([])
  emptyRoles(): void {}
}

@Roles(['admin'])
class AdminController {
  inherited(): void {}

  @Roles(['user'])
  overriddenForUsers(): void {}
}

const userWith = (roles: Role[]): AuthUser => ({
  id: '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b',
  username: 'john.doe',
  roles,
  sessionId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  authMethods: ['pwd'],
  authTime: 1,
});

describe('RolesGuard', () => {
  const guard = new RolesGuard(new CachedReflector());

  const canActivate = (controller: new () => object, handler: string, user?: AuthUser): boolean => {
    const method = (controller.prototype as Record<string, () => void>)[handler]!;
    const context = new ExecutionContextHost([{ user }, {}], controller, method);
    context.setType('http');
    return guard.canActivate(context);
  };

  it.each([
    ['no roles are required', OpenController, 'anyone', undefined],
    ['an empty list of roles is required', OpenController, 'emptyRoles', userWith(['user'])],
    ['the user holds the role', OpenController, 'adminsOnly', userWith(['admin'])],
    ['the user holds one of the roles', OpenController, 'usersOrAdmins', userWith(['user'])],
    ['the class requires a role the user holds', AdminController, 'inherited', userWith(['user', 'admin'])],
    [
      'the handler requires a role the class does not',
      AdminController,
      'overriddenForUsers',
      userWith(['user']),
    ],
  ])('lets the request through when %s', (_case, controller, handler, user) => {
    expect(canActivate(controller, handler, user)).toBe(true);
  });

  it.each([
    ['the user lacks the role', OpenController, 'adminsOnly', userWith(['user'])],
    ['the user holds no role', OpenController, 'usersOrAdmins', userWith([])],
    ['there is no user', OpenController, 'adminsOnly', undefined],
    ['the class requires a role the user lacks', AdminController, 'inherited', userWith(['user'])],
    ['no user meets the role of a class', AdminController, 'inherited', undefined],
    ["the handler's roles replace the class's", AdminController, 'overriddenForUsers', userWith(['admin'])],
  ])('refuses the request when %s', (_case, controller, handler, user) => {
    expect(canActivate(controller, handler, user)).toBe(false);
  });
});
