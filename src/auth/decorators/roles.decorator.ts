import { Reflector } from '@nestjs/core';
import type { Role } from '../../users/user';

/** The roles of which the caller must hold at least one; read by RolesGuard, handler before class. */
export const Roles = Reflector.createDecorator<Role[]>();
