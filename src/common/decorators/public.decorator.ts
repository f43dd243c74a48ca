import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'isPublic';

/** Opens a route to callers without an access token; every other route requires one (JwtAuthGuard is global). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Public, and documented as needing no credentials at all (an empty OpenAPI security requirement). */
export const Anonymous = () => applyDecorators(Public(), ApiSecurity({}));
