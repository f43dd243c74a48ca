import { applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { ApiSignedIn } from '../common/decorators/api-signed-in.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { ErrorDto } from '../common/error.dto';

/** The whole controller is for admins: 401 without a token, 403 without the role. */
export const AdminOnly = () =>
  applyDecorators(
    Roles(['admin']),
    ApiSignedIn(),
    ApiForbiddenResponse({ description: 'The caller is not an admin', type: ErrorDto }),
  );
