import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import type { SecurityEvent } from '../audit/audit-event';
import type { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { OAuthError } from '../common/oauth-error';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { SignInProof } from '../sessions/session';
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
  createdAt: new Date(),
  updatedAt: new Date(),
};
const CLIENT = { ip: '192.0.2.1' };
const NOW = new Date('2026-12-01T12:00:00Z');

/** The service with what it calls recorded in `steps`, in order. */
function build(release: LockoutRelease = { locked: false }) {
  const steps: string[] = [];
  const events: SecurityEvent[] = [];
  const credentials = {
    release: (userId: string) => {
      steps.push(`release ${userId}`);
      return Promise.resolve(release);
    },
  } as unknown as CredentialsService;
  const audit = {
    record: (event: SecurityEvent) => {
      events.push(event);
      return Promise.resolve();
    },
  } as unknown as AuditService;
  const clock = new (class extends Clock {
    override now() {
      return NOW;
    }
  })();
  const service = new SignInService(credentials, {} as SessionsService, {} as TokensService, audit, clock);
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
    expect(steps).toEqual([`release ${USER.id}`, 'upgrade']);
    expect(events).toEqual([
      { type: 'login.failed', userId: USER.id, client: CLIENT, details: { reason: 'disabled' } },
    ]);
  });

  it('refuses a right proof while the account is locked, storing nothing', async () => {
    const { service, steps, events, proved } = build({ locked: true, retryAfterSeconds: 42 });
    const refusal = await service.accept(proved(), CLIENT).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequestsException);
    expect((refusal as TooManyRequestsException).retryAfterSeconds).toBe(42);
    expect(steps).toEqual([`release ${USER.id}`]);
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
    expect(steps).toEqual([]);
    expect(events).toEqual(recorded);
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
