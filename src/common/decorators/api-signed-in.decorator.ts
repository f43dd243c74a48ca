import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorDto } from '../error.dto';

export const BEARER_SCHEME = 'bearer';
export const OAUTH2_SCHEME = 'oauth2';
export const CLIENT_SCHEME = 'client';

/** Documents that a route takes an access token (by either Swagger scheme) and answers 401 without one. */
export const ApiSignedIn = () =>
  applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiOAuth2([], OAUTH2_SCHEME),
    ApiUnauthorizedResponse({
      description: 'Missing, invalid or expired access token, or its session ended',
      type: ErrorDto,
    }),
  );
