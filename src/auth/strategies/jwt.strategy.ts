import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { AuthUser } from '../../users/user';
import { UsersService } from '../../users/users.service';
import { bearerTokenOf, type RequestHeaders } from '../access-token';
import { AccessTokenVerifier, type VerifiedAccessToken } from '../access-token-verifier';

// What this strategy reports, in passport-jwt's words, when there is no bearer token; JwtAuthGuard tells it apart.
export const NO_TOKEN = 'No auth token';

/**
 * passport-jwt's strategy, verifying through AccessTokenVerifier: one verifier (and one cache of verified tokens)
 * for this strategy, introspection and revocation. Session and user are read on every request, so a sign-out, a
 * disabled account or a lost role counts at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: bearerTokenOf,
      // Required by passport-jwt's constructor, never called: authenticate() verifies with AccessTokenVerifier.
      secretOrKeyProvider: (_request: unknown, _token: string, done: (error: Error) => void) =>
        done(new Error('Access tokens are verified by AccessTokenVerifier')),
    });
  }

  /** passport-jwt's steps (token from the request, verify, validate) with the shared verifier for the middle one. */
  override authenticate(request: RequestHeaders): void {
    let token: string | null;
    try {
      token = bearerTokenOf(request);
    } catch (error) {
      return this.error(error as Error);
    }
    if (!token) {
      return this.fail(new Error(NO_TOKEN), 401);
    }
    this.verifier
      .verify(token)
      .then((verified) => (verified ? this.validate(verified) : undefined))
      .then(
        (user) => (user ? this.success(user) : this.fail(401)),
        (error: unknown) => this.error(error as Error),
      );
  }

  /**
   * The caller of a verified token, with the sign-in the token carries (`amr`, `auth_time`, for step-up);
   * undefined once its session has ended or its user is disabled.
   */
  async validate({
    userId,
    sessionId,
    authMethods,
    authTime,
  }: VerifiedAccessToken): Promise<AuthUser | undefined> {
    const user = await this.users.findSignedIn(userId, sessionId);
    // A literal of one shape, not a spread: this runs on every request, and the spread cost a profile's 2%.
    return (
      user && {
        id: user.id,
        username: user.username,
        roles: user.roles,
        sessionId: user.sessionId,
        authMethods,
        authTime,
      }
    );
  }
}
