import { applyDecorators, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { CachedReflector } from '../common/cached-reflector';
import { ErrorDto } from '../common/error.dto';

const AUTH_LIMITED = 'rateLimit:auth';
const SIGN_IN_LIMITED = 'rateLimit:signIn';

// Asked on every request, by RateLimitGuard and the auth limit's key.
const reflector = new CachedReflector();
const has = (key: string, context: ExecutionContext): boolean =>
  reflector.get(key, context.getHandler()) === true;

export const isAuthLimited = (context: ExecutionContext) => has(AUTH_LIMITED, context);
export const isSignInLimited = (context: ExecutionContext) => has(SIGN_IN_LIMITED, context);

const TooManyRequests = () =>
  ApiResponse({ status: 429, description: 'Too many attempts; see the Retry-After header', type: ErrorDto });

/** The strict per-address limit of the authentication endpoints (AUTH_RATE_LIMIT_PER_MINUTE). */
export const AuthRateLimit = () => applyDecorators(SetMetadata(AUTH_LIMITED, true), TooManyRequests());

/**
 * The same, in one budget per address shared by every endpoint that checks a password as a sign-in does (the
 * per-account limit, SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR, is counted by SignInLimits where the password is checked).
 */
export const SignInRateLimit = () =>
  applyDecorators(SetMetadata(AUTH_LIMITED, true), SetMetadata(SIGN_IN_LIMITED, true), TooManyRequests());
