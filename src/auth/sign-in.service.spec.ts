import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { SecurityEvent } from '../audit/audit-event';
import type { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { validateEnv } from '../config/env.schema';
import { OAuthError } from '../common/oauth-error';
import { SecondFactorRequiredException } from '../common/second-factor.exceptions';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { MfaService } from '../mfa/mfa.service';
import type { Authentication, Session, SignInProof } from '../sessions/session';
import type { SessionsService } from '../sessions/sessions.service';
import type { CredentialsService, LockoutRelease } from '../users/credentials.service';
import type { User } from '../users/user';
import { asGrantError, DISABLED, SignInService, WRONG_CREDENTIALS } from './sign-in.service';
import type { TokensService } from './tokens.service';

const USER: User = {
  id: '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b',
  username: 'john.doe',
  email: 'john@example.com',
  fullName: null,
  roles: ['user'],
  disabled: false,
  emailVerified: true,
  pendingEmail: null,
  mfaEnabled: false,
  createdAt: new Date(),
  updatedAt: new Date(),
};
const CLIENT = { ip: '192.0.2.1' };
const NOW = new Date('2026-12-01T12:00:00Z');

const SESSION = {
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  userId: USER.id,
  userAgent: null,
  ip: CLIENT.ip,
  createdAt: NOW,
  lastUsedAt: NOW,
  expiresAt: NOW,
  authMethods: ['pwd' as const],
  authenticatedAt: NOW,
  clientId: null,
};
const PAIR = {
  access_token: 'a.b.c',
  token_type: 'Bearer' as const,
  expires_in: 900,
  refresh_token: 'r',
  refresh_expires_in: 604800,
};

/** The service with what it calls recorded in `steps` (audit events among them), in order. */
function build(
  release: LockoutRelease = { locked: false },
  { isDisabledMeanwhile = false, isLockedBeforeCode = false } = {},
) {
  const steps: string[] = [];
  const events: SecurityEvent[] = [];
  const sessions = {
    start: (userId: string, authentication: Authentication) => {
      steps.push(`session ${userId} ${authentication.methods.join()} ${authentication.at.toISOString()}`);
      return Promise.resolve(isDisabledMeanwhile ? undefined : { session: SESSION, refreshToken: 'r' });
    },
  } as unknown as SessionsService;
  const tokens = {
    pair: (user: User, session: Session, refreshToken: string) => {
      steps.push(`tokens ${user.id} ${session.id} ${refreshToken}`);
      return Promise.resolve(PAIR);
    },
  } as unknown as TokensService;
  const credentials = {
    release: (userId: string) => {
      steps.push(`release ${userId}`);
      return Promise.resolve(release);
    },
    beforeCodeCheck: (userId: string, options: { spendsBudget: boolean }) => {
      steps.push(`lock check ${userId} ${options.spendsBudget ? 'spending' : 'not spending'} the budget`);
      return Promise.resolve(
        isLockedBeforeCode ? { outcome: 'locked', userId, retryAfterSeconds: 7 } : undefined,
      );
    },
  } as unknown as CredentialsService;
  const mfa = {
    challenge: (userId: string) => {
      steps.push(`challenge ${userId}`);
      return Promise.resolve('the-mfa-token');
    },
  } as unknown as MfaService;
  const audit = {
    record: (event: SecurityEvent) => {
      events.push(event);
      steps.push(`event ${event.type}`);
      return Promise.resolve();
    },
  } as unknown as AuditService;
  const clock = new (class extends Clock {
    override now() {
      return NOW;
    }
  })();
  const config = new ConfigService<Config, true>(validateEnv({}));
  const service = new SignInService(credentials, sessions, tokens, audit, clock, mfa, config);
  const proved = (user: User = USER): SignInProof => ({
    outcome: 'proved',
    user,
    methods: ['pwd'],
    upgrade: () => {
      steps.push('upgrade');
      return Promise.resolve();
    },
  });
  return { service, steps, events, proved };
}

describe('SignInService.accept', () => {
  it('releases the lockout, stores the upgrade, and answers who signed in, how and when', async () => {
    const { service, steps, events, proved } = build();
    await expect(service.accept(proved(), CLIENT)).resolves.toEqual({
      user: USER,
      authentication: { methods: ['pwd'], at: NOW },
    });
    expect(steps).toEqual([`release ${USER.id}`, 'upgrade']);
    expect(events).toEqual([]);
  });

  it('refuses a disabled account only after the proof was accepted, and records why', async () => {
    const { service, steps, events, proved } = build();
    await expect(service.accept(proved({ ...USER, disabled: true }), CLIENT)).rejects.toThrow(
      new ForbiddenException(DISABLED),
    );
    expect(steps).toEqual([`release ${USER.id}`, 'upgrade', 'event login.failed']);
    expect(events).toEqual([
      { type: 'login.failed', userId: USER.id, client: CLIENT, details: { reason: 'disabled' } },
    ]);
  });

  it('refuses a right proof while the account is locked, storing nothing', async () => {
    const { service, steps, events, proved } = build({ locked: true, retryAfterSeconds: 42 });
    const refusal = await service.accept(proved(), CLIENT).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequestsException);
    expect((refusal as TooManyRequestsException).retryAfterSeconds).toBe(42);
    expect(steps).toEqual([`release ${USER.id}`, 'event login.failed']);
    expect(events).toEqual([
      { type: 'login.failed', userId: USER.id, client: CLIENT, details: { reason: 'locked' } },
    ]);
  });

  it.each<[string, SignInProof, unknown, SecurityEvent[]]>([
    [
      'wrong credentials of an unknown account',
      { outcome: 'wrong' },
      new UnauthorizedException(WRONG_CREDENTIALS),
      [{ type: 'login.failed', userId: null, client: CLIENT, details: { reason: 'wrong credentials' } }],
    ],
    [
      'the wrong password that locks the account',
      { outcome: 'wrong', userId: USER.id, lockedUntil: NOW },
      new UnauthorizedException(WRONG_CREDENTIALS),
      [
        { type: 'login.failed', userId: USER.id, client: CLIENT, details: { reason: 'wrong credentials' } },
        {
          type: 'login.locked',
          userId: USER.id,
          client: CLIENT,
          details: { lockedUntil: NOW.toISOString() },
        },
      ],
    ],
    [
      'a locked account',
      { outcome: 'locked', userId: USER.id, retryAfterSeconds: 5 },
      new TooManyRequestsException(5),
      [{ type: 'login.failed', userId: USER.id, client: CLIENT, details: { reason: 'locked' } }],
    ],
    [
      'a spent account budget, unrecorded',
      { outcome: 'limited', retryAfterSeconds: 9 },
      new TooManyRequestsException(9),
      [],
    ],
  ])('refuses %s', async (_case, proof, refusal, recorded) => {
    const { service, steps, events } = build();
    await expect(service.accept(proof, CLIENT)).rejects.toThrow(refusal as Error);
    expect(steps).toEqual(recorded.map((event) => `event ${event.type}`));
    expect(events).toEqual(recorded);
  });
});

describe('SignInService.accept, for an account with a second factor', () => {
  const withMfa = { ...USER, mfaEnabled: true };

  it('answers a right password alone with an mfa_token, and leaves the failed sign-ins counted', async () => {
    const { service, steps, events, proved } = build();
    const refusal = await service.accept(proved(withMfa), CLIENT).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SecondFactorRequiredException);
    expect((refusal as SecondFactorRequiredException).mfaToken).toBe('the-mfa-token');
    expect(steps).toEqual([
      `lock check ${USER.id} not spending the budget`,
      'upgrade',
      `challenge ${USER.id}`,
      'event login.mfa_required',
    ]);
    expect(events).toEqual([{ type: 'login.mfa_required', userId: USER.id, client: CLIENT }]);
  });

  it('refuses a locked account before any mfa_token, as a sign-in would be', async () => {
    const { service, steps, proved } = build(undefined, { isLockedBeforeCode: true });
    const refusal = await service.accept(proved(withMfa), CLIENT).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequestsException);
    expect(steps).toEqual([`lock check ${USER.id} not spending the budget`, 'event login.failed']);
  });

  it('refuses a disabled account before any mfa_token', async () => {
    const { service, steps, proved } = build();
    await expect(service.accept(proved({ ...withMfa, disabled: true }), CLIENT)).rejects.toThrow(
      new ForbiddenException(DISABLED),
    );
    expect(steps).not.toContain(`challenge ${USER.id}`);
  });

  it('accepts the password and a code together, clearing the failed sign-ins then', async () => {
    const { service, steps } = build();
    const proof: SignInProof = { outcome: 'proved', user: withMfa, methods: ['pwd', 'otp'] };
    await expect(service.accept(proof, CLIENT)).resolves.toEqual({
      user: withMfa,
      authentication: { methods: ['pwd', 'otp'], at: NOW },
    });
    expect(steps).toEqual([`release ${USER.id}`]);
  });
});

describe('SignInService.start', () => {
  const accepted = { user: USER, authentication: { methods: ['pwd' as const], at: NOW } };

  it('opens the session with how and when, issues its tokens, then records the sign-in once', async () => {
    const { service, steps, events } = build();
    await expect(service.start(accepted, CLIENT)).resolves.toEqual(PAIR);
    expect(steps).toEqual([
      `session ${USER.id} pwd ${NOW.toISOString()}`,
      `tokens ${USER.id} ${SESSION.id} r`,
      'event login.succeeded',
    ]);
    expect(events).toEqual([
      {
        type: 'login.succeeded',
        userId: USER.id,
        actorId: USER.id,
        client: CLIENT,
        details: { sessionId: SESSION.id },
      },
    ]);
  });

  it('refuses with a 403 and records nothing when the user was disabled meanwhile', async () => {
    const { service, steps, events } = build({ locked: false }, { isDisabledMeanwhile: true });
    await expect(service.start(accepted, CLIENT)).rejects.toThrow(new ForbiddenException(DISABLED));
    expect(steps).toEqual([`session ${USER.id} pwd ${NOW.toISOString()}`]);
    expect(events).toEqual([]);
  });
});

describe('asGrantError', () => {
  it.each([
    [
      'wrong credentials',
      new UnauthorizedException(WRONG_CREDENTIALS),
      new OAuthError('invalid_grant', WRONG_CREDENTIALS),
    ],
    ['a disabled account', new ForbiddenException(DISABLED), new OAuthError('invalid_grant', DISABLED)],
    [
      'a second factor required',
      new SecondFactorRequiredException('the-mfa-token'),
      new OAuthError('mfa_required', 'A second factor is required', 403, { mfa_token: 'the-mfa-token' }),
    ],
  ])('speaks RFC 6749 §5.2 for %s', (_case, refusal, expected) => {
    expect(asGrantError(refusal)).toEqual(expected);
  });

  it('leaves a 429 and anything unexpected as they are', () => {
    const tooMany = new TooManyRequestsException(3);
    const unexpected = new Error('database unavailable');
    expect(asGrantError(tooMany)).toBe(tooMany);
    expect(asGrantError(unexpected)).toBe(unexpected);
  });
});
