import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import { FakeClock } from './support/fake-clock';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { enrolTotp, totpCodeAt } from './support/second-factor';
import { deliveredTo } from './support/mail';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { closeTestApp, createTestApp } from './support/test-app';

const STEP_UP = /^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=300$/;

/** A second factor end to end: enrolment, both sign-in doors, /auth/mfa, recovery codes, admin reset, notices. */
describe('a second factor (TOTP and recovery codes)', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await createTestApp({ SMTP_URL: smtp.url, APP_NAME: 'Acme' }, { clock });
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  const codeAt = (secret: string, offsetSeconds = 0) => totpCodeAt(clock, secret, offsetSeconds);
  /** A code of a time step no code was used for yet: the clock moves a step on first. */
  const freshCode = (secret: string) => {
    clock.advance(30);
    return codeAt(secret);
  };
  const login = (user: { username: string; password: string }) =>
    http(app).post('/auth/login').send({ username: user.username, password: user.password });
  const passwordGrant = (user: { username: string; password: string }, otp?: string) =>
    http(app)
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        ...(otp && { otp }),
      });
  const completeWith = (mfaToken: string, code: string) =>
    http(app).post('/auth/mfa').send({ mfa_token: mfaToken, code });
  const notices = (to: string) => deliveredTo(app, smtp, to, /step|recovery/i);

  const enrolled = () => enrolTotp(app, clock);

  describe('enrolment', () => {
    it('gives a base32 secret of 20 bytes and its otpauth URI, then ten recovery codes for a right code', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const started = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      expect(started.status).toBe(200);
      expect(started.headers['cache-control']).toBe('no-store');
      const { secret, otpauthUri } = started.body as { secret: string; otpauthUri: string };
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const uri = new URL(otpauthUri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(decodeURIComponent(uri.pathname)).toBe(`/Acme:${user.username}`);
      expect(uri.searchParams.get('secret')).toBe(secret);
      expect(uri.searchParams.get('issuer')).toBe('Acme');
      expect(uri.searchParams.get('algorithm')).toBe('SHA1');
      expect(uri.searchParams.get('digits')).toBe('6');
      expect(uri.searchParams.get('period')).toBe('30');

      const status = () => http(app).get('/users/me/mfa').auth(accessToken, { type: 'bearer' });
      expect((await status()).body).toEqual({ totp: false, recoveryCodesLeft: 0 });
      const wrong = await http(app)
        .post('/users/me/mfa/totp/confirm')
        .auth(accessToken, { type: 'bearer' })
        .send({ code: (Number(await codeAt(secret)) + 1).toString().padStart(6, '0').slice(-6) });
      expect(wrong.status).toBe(400);
      const confirmed = await http(app)
        .post('/users/me/mfa/totp/confirm')
        .auth(accessToken, { type: 'bearer' })
        .send({ code: await codeAt(secret) });
      expect(confirmed.status).toBe(200);
      const { recoveryCodes } = confirmed.body as { recoveryCodes: string[] };
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      for (const code of recoveryCodes) {
        expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
      }
      expect((await status()).body).toEqual({ totp: true, recoveryCodesLeft: 10 });
      const me = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
      expect(me.body.mfaEnabled).toBe(true);
      const [notice] = await notices(user.email);
      expect(notice?.subject).toBe('Two-step sign-in is on for your Acme account');
      expect(notice?.text).not.toContain(secret);
    });

    it('replaces a pending secret when asked again, and refuses a new one once confirmed (409)', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const first = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      const second = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      expect(second.body.secret).not.toBe(first.body.secret);
      const stale = await http(app)
        .post('/users/me/mfa/totp/confirm')
        .auth(accessToken, { type: 'bearer' })
        .send({ code: await codeAt(first.body.secret) });
      expect(stale.status).toBe(400);
      const confirmed = await http(app)
        .post('/users/me/mfa/totp/confirm')
        .auth(accessToken, { type: 'bearer' })
        .send({ code: await codeAt(second.body.secret) });
      expect(confirmed.status).toBe(200);
      // The account has a second factor now: a session signed in with the password alone must step up first.
      const again = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      expect(again.status).toBe(401);
      expect(again.headers['www-authenticate']).toMatch(STEP_UP);
      clock.advance(30);
      const stepped = await http(app)
        .post('/auth/reauthenticate')
        .auth(accessToken, { type: 'bearer' })
        .send({ password: user.password, code: await codeAt(second.body.secret) });
      const conflict = await http(app)
        .post('/users/me/mfa/totp')
        .auth(stepped.body.access_token, { type: 'bearer' });
      expect(conflict.status).toBe(409);
    });

    it('lets a pending secret wait 10 minutes for its code, no longer', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const started = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      clock.advance(10 * 60 + 1);
      const late = await http(app)
        .post('/users/me/mfa/totp/confirm')
        .auth(accessToken, { type: 'bearer' })
        .send({ code: await codeAt(started.body.secret) });
      expect(late.status).toBe(400);
      expect(late.body.message).toMatch(/No enrolment is pending/);
    });
  });

  describe('signing in', () => {
    it('answers the right password on /auth/login with a 403 and an mfa_token, which /auth/mfa completes', async () => {
      const user = await enrolled();
      const refused = await login(user);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'A second factor is required',
        mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        mfa_methods: ['totp', 'recovery_code'],
      });
      expect(refused.body).not.toHaveProperty('access_token');
      expect(refused.headers['cache-control']).toBe('no-store');
      const done = await completeWith(refused.body.mfa_token, await freshCode(user.secret));
      expect(done.status).toBe(200);
      expect(done.headers['cache-control']).toBe('no-store');
      const claims = decodeJwt(done.body.access_token);
      expect(claims.amr).toEqual(['pwd', 'otp']);
      expect(claims.auth_time).toBe(Math.floor(clock.now().getTime() / 1000));
      const refreshed = await http(app)
        .post('/auth/refresh')
        .send({ refresh_token: done.body.refresh_token });
      expect(decodeJwt(refreshed.body.access_token).amr).toEqual(['pwd', 'otp']);
      expect((await completeWith(refused.body.mfa_token, await freshCode(user.secret))).status).toBe(401);
    });

    it('answers the password grant with mfa_required, and signs in at once with otp', async () => {
      const user = await enrolled();
      const refused = await passwordGrant(user);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        error: 'mfa_required',
        error_description: 'A second factor is required',
        mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(refused.headers['cache-control']).toBe('no-store');
      const withOtp = await passwordGrant(user, await freshCode(user.secret));
      expect(withOtp.status).toBe(200);
      expect(decodeJwt(withOtp.body.access_token).amr).toEqual(['pwd', 'otp']);
      const wrongOtp = await passwordGrant(user, '000000');
      expect(wrongOtp.status).toBe(400);
      expect(wrongOtp.body.error).toBe('invalid_grant');
      const viaMfa = await completeWith(refused.body.mfa_token, await freshCode(user.secret));
      expect(viaMfa.status).toBe(200);
    });

    it('never gives tokens for a wrong password, with or without a code', async () => {
      const user = await enrolled();
      const wrong = { username: user.username, password: 'not-the-password' };
      expect((await login(wrong)).status).toBe(401);
      const grant = await passwordGrant(wrong, await freshCode(user.secret));
      expect(grant.status).toBe(400);
      expect(grant.body.error).toBe('invalid_grant');
    });

    it('accepts the code of the step before and after, and refuses one from two steps back', async () => {
      const user = await enrolled();
      clock.advance(300);
      const mfaToken = async () => (await login(user)).body.mfa_token as string;
      expect((await completeWith(await mfaToken(), await codeAt(user.secret, -30))).status).toBe(200);
      clock.advance(120);
      expect((await completeWith(await mfaToken(), await codeAt(user.secret, 30))).status).toBe(200);
      clock.advance(120);
      const token = await mfaToken();
      const old = await completeWith(token, await codeAt(user.secret, -60));
      expect(old.status).toBe(401);
      expect(old.headers['www-authenticate']).toBe('Bearer');
      expect(old.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Wrong code' });
    });

    it('never accepts a code twice, nor one older than the last one used', async () => {
      const user = await enrolled();
      clock.advance(60);
      const code = await codeAt(user.secret);
      expect((await completeWith((await login(user)).body.mfa_token, code)).status).toBe(200);
      expect((await completeWith((await login(user)).body.mfa_token, code)).status).toBe(401);
      expect(
        (await completeWith((await login(user)).body.mfa_token, await codeAt(user.secret, -30))).status,
      ).toBe(401);
      expect((await passwordGrant(user, code)).status).toBe(400);
    });

    it('gives one success to parallel requests with one code', async () => {
      const user = await enrolled();
      clock.advance(60);
      const code = await codeAt(user.secret);
      const tokens = await Promise.all(
        [1, 2, 3, 4].map(async () => (await login(user)).body.mfa_token as string),
      );
      const answers = await Promise.all(tokens.map((token) => completeWith(token, code)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401]);
    });

    it('ends an mfa_token after 5 minutes, after use, after five wrong codes, and for another client', async () => {
      const user = await enrolled();
      const expiring = (await login(user)).body.mfa_token as string;
      clock.advance(5 * 60 + 1);
      const expired = await completeWith(expiring, await codeAt(user.secret));
      expect(expired.status).toBe(401);
      expect(expired.body.message).toBe('Invalid, used or expired mfa_token');

      const struck = (await login(user)).body.mfa_token as string;
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await completeWith(struck, '000000')).body.message).toBe('Wrong code');
      }
      const afterStrikes = await completeWith(struck, await freshCode(user.secret));
      expect(afterStrikes.status).toBe(401);
      expect(afterStrikes.body.message).toBe('Invalid, used or expired mfa_token');
      await http(app)
        .post(`/admin/users/${user.id}/unlock`)
        .auth((await signInAsAdmin(app)).accessToken, { type: 'bearer' });

      const bound = (await login(user)).body.mfa_token as string;
      const elsewhere = await http(app)
        .post('/auth/mfa')
        .set('User-Agent', 'another client')
        .send({ mfa_token: bound, code: await freshCode(user.secret) });
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.body.message).toBe('Invalid, used or expired mfa_token');
      expect((await completeWith(bound, await freshCode(user.secret))).status).toBe(200);
    });

    it('counts wrong codes in the account lockout, which only the whole sign-in clears', async () => {
      const user = await enrolled();
      // Four wrong codes, then a whole sign-in: the count starts again.
      const first = (await login(user)).body.mfa_token as string;
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await completeWith(first, '000000')).status).toBe(401);
      }
      expect((await completeWith(first, await freshCode(user.secret))).status).toBe(200);
      // Five wrong codes on two tokens lock the account: a token given before is refused too, right code or not.
      const spare = (await login(user)).body.mfa_token as string;
      const guessing = (await login(user)).body.mfa_token as string;
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await completeWith(guessing, '000000')).status).toBe(401);
      }
      expect((await completeWith(spare, '000000')).status).toBe(401);
      const locked = await completeWith(spare, await freshCode(user.secret));
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toMatch(/^\d+$/);
      expect((await login(user)).status).toBe(429);
    });

    it('refuses a disabled account before any mfa_token, and a sign-in whose account was disabled meanwhile', async () => {
      const user = await enrolled();
      const { accessToken: adminToken } = await signInAsAdmin(app);
      const mfaToken = (await login(user)).body.mfa_token as string;
      await http(app)
        .patch(`/admin/users/${user.id}`)
        .auth(adminToken, { type: 'bearer' })
        .send({ disabled: true })
        .expect(200);
      expect((await login(user)).body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'This account is disabled',
      });
      const meanwhile = await completeWith(mfaToken, await freshCode(user.secret));
      expect(meanwhile.status).toBe(403);
      expect(meanwhile.body).not.toHaveProperty('access_token');
    });

    it('checks no more than five codes against one mfa_token however many requests race with it', async () => {
      const user = await enrolled();
      const mfaToken = (await login(user)).body.mfa_token as string;
      const answers = await Promise.all(Array.from({ length: 10 }, () => completeWith(mfaToken, '000000')));
      const messages = answers.map((answer) => answer.body.message as string);
      expect(messages.filter((message) => message === 'Wrong code')).toHaveLength(5);
      expect(messages.filter((message) => message === 'Invalid, used or expired mfa_token')).toHaveLength(5);
    });

    it('keeps counting wrong codes when the right password is given between them', async () => {
      const user = await enrolled();
      // A session from before the factor was on: a password re-entered there must not wipe the count.
      for (let round = 0; round < 2; round += 1) {
        const mfaToken = (await login(user)).body.mfa_token as string;
        for (let attempt = 0; attempt < 2; attempt += 1) {
          expect((await completeWith(mfaToken, '000000')).status).toBe(401);
        }
        const reentered = await http(app)
          .post('/auth/reauthenticate')
          .auth(user.accessToken, { type: 'bearer' })
          .send({ password: user.password });
        expect(reentered.status).toBe(200);
        user.accessToken = reentered.body.access_token as string;
      }
      // Four wrong codes so far; the fifth locks the account, whatever passwords came between.
      const mfaToken = (await login(user)).body.mfa_token as string;
      expect((await completeWith(mfaToken, '000000')).status).toBe(401);
      expect((await login(user)).status).toBe(429);
    });

    it('signs in with a recovery code once, counting it down and telling the owner', async () => {
      const user = await enrolled();
      const [first, second] = user.recoveryCodes;
      const done = await completeWith(
        (await login(user)).body.mfa_token,
        first!.toUpperCase().replace(/-/g, ' '),
      );
      expect(done.status).toBe(200);
      expect(decodeJwt(done.body.access_token).amr).toEqual(['pwd', 'otp']);
      expect((await completeWith((await login(user)).body.mfa_token, first!)).status).toBe(401);
      expect((await passwordGrant(user, second)).status).toBe(200);
      const status = await http(app).get('/users/me/mfa').auth(done.body.access_token, { type: 'bearer' });
      expect(status.body).toEqual({ totp: true, recoveryCodesLeft: 8 });
      const used = (await notices(user.email)).filter((message) =>
        message.subject?.includes('recovery code was used'),
      );
      expect(used.map((message) => /(\d+) of them are left/.exec(message.text ?? '')?.[1]).sort()).toEqual([
        '8',
        '9',
      ]);
    });

    it('spends a recovery code once however many requests race with it', async () => {
      const user = await enrolled();
      const tokens = await Promise.all(
        [1, 2, 3, 4].map(async () => (await login(user)).body.mfa_token as string),
      );
      const answers = await Promise.all(tokens.map((token) => completeWith(token, user.recoveryCodes[0]!)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401]);
    });
  });

  describe('changes that need a step-up (RFC 9470)', () => {
    it('refuses renewing codes or removing the factor without otp in amr, with the exact challenge', async () => {
      const user = await enrolled();
      // The enrolment's own session signed in with the password only.
      const renew = await http(app)
        .post('/users/me/mfa/recovery-codes')
        .auth(user.accessToken, { type: 'bearer' });
      expect(renew.status).toBe(401);
      expect(renew.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A recent sign-in with a second factor is required", max_age=300',
      );
      const remove = await http(app).delete('/users/me/mfa/totp').auth(user.accessToken, { type: 'bearer' });
      expect(remove.status).toBe(401);
      expect(remove.headers['www-authenticate']).toMatch(STEP_UP);
      const password = await http(app)
        .post('/users/me/password')
        .auth(user.accessToken, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword: 'a-brand-new-passphrase' });
      expect(password.status).toBe(401);
      expect(
        (await http(app).get('/users/me/mfa').auth(user.accessToken, { type: 'bearer' })).body
          .recoveryCodesLeft,
      ).toBe(10);
    });

    it('steps up with /auth/reauthenticate in the same session, then renews codes (the old set dies)', async () => {
      const user = await enrolled();
      // Signing in again is no way around it: the password alone gets no tokens.
      expect((await login(user)).status).toBe(403);
      const me = decodeJwt(user.accessToken);
      const wrong = await http(app)
        .post('/auth/reauthenticate')
        .auth(user.accessToken, { type: 'bearer' })
        .send({ password: user.password, code: '000000' });
      expect(wrong.status).toBe(403);
      clock.advance(30);
      const stepped = await http(app)
        .post('/auth/reauthenticate')
        .auth(user.accessToken, { type: 'bearer' })
        .send({ password: user.password, code: await codeAt(user.secret) });
      expect(stepped.status).toBe(200);
      const claims = decodeJwt(stepped.body.access_token);
      expect(claims.sid).toBe(me.sid);
      expect(claims.amr).toEqual(['pwd', 'otp']);
      expect(claims.auth_time).toBe(Math.floor(clock.now().getTime() / 1000));
      const renewed = await http(app)
        .post('/users/me/mfa/recovery-codes')
        .auth(stepped.body.access_token, { type: 'bearer' });
      expect(renewed.status).toBe(200);
      expect(renewed.body.recoveryCodes).toHaveLength(10);
      expect((await completeWith((await login(user)).body.mfa_token, user.recoveryCodes[0]!)).status).toBe(
        401,
      );
      expect(
        (await completeWith((await login(user)).body.mfa_token, renewed.body.recoveryCodes[0])).status,
      ).toBe(200);

      clock.advance(301);
      const late = await http(app)
        .delete('/users/me/mfa/totp')
        .auth(stepped.body.access_token, { type: 'bearer' });
      expect(late.status).toBe(401);
      expect(late.headers['www-authenticate']).toMatch(STEP_UP);
    });

    it('removes the factor after a step-up: the password alone signs in again, and the owner is told', async () => {
      const user = await enrolled();
      const done = await completeWith((await login(user)).body.mfa_token, await freshCode(user.secret));
      const removed = await http(app)
        .delete('/users/me/mfa/totp')
        .auth(done.body.access_token, { type: 'bearer' });
      expect(removed.status).toBe(204);
      expect((await login(user)).status).toBe(200);
      expect(
        (await http(app).delete('/users/me/mfa/totp').auth(done.body.access_token, { type: 'bearer' }))
          .status,
      ).toBe(404);
      const subjects = (await notices(user.email)).map((message) => message.subject);
      expect(subjects).toContain('Two-step sign-in was turned off for your Acme account');
    });

    it('refuses an email change from a sign-in too old, and changes nothing', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      clock.advance(301);
      const changed = await http(app)
        .patch('/users/me')
        .auth(accessToken, { type: 'bearer' })
        .send({ email: `new.${user.email}`, currentPassword: user.password });
      expect(changed.status).toBe(401);
      expect(changed.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A recent sign-in is required", max_age=300',
      );
      const me = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
      expect(me.body).toMatchObject({ email: user.email, pendingEmail: null });
      // A name is no takeover: it changes without a step-up.
      const named = await http(app)
        .patch('/users/me')
        .auth(accessToken, { type: 'bearer' })
        .send({ fullName: 'Late' });
      expect(named.status).toBe(200);
    });

    it('asks an account without a second factor for a recent sign-in only, and enrolment too', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      clock.advance(301);
      const enrol = await http(app).post('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      expect(enrol.status).toBe(401);
      expect(enrol.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A recent sign-in is required", max_age=300',
      );
      const stepped = await http(app)
        .post('/auth/reauthenticate')
        .auth(accessToken, { type: 'bearer' })
        .send({ password: user.password });
      expect(stepped.status).toBe(200);
      expect(decodeJwt(stepped.body.access_token).amr).toEqual(['pwd']);
      expect(
        (await http(app).post('/users/me/mfa/totp').auth(stepped.body.access_token, { type: 'bearer' }))
          .status,
      ).toBe(200);
      expect(
        (
          await http(app)
            .post('/auth/reauthenticate')
            .auth(accessToken, { type: 'bearer' })
            .send({ password: 'wrong-password' })
        ).status,
      ).toBe(403);
    });
  });

  describe('an admin', () => {
    it('removes the factor of a user who lost phone and codes, audited, and counts users with one', async () => {
      const user = await enrolled();
      const { accessToken } = await signInAsAdmin(app);
      const before = await http(app).get('/admin/dashboard').auth(accessToken, { type: 'bearer' });
      const removed = await http(app)
        .delete(`/admin/users/${user.id}/mfa`)
        .auth(accessToken, { type: 'bearer' });
      expect(removed.status).toBe(204);
      const after = await http(app).get('/admin/dashboard').auth(accessToken, { type: 'bearer' });
      expect(after.body.stats.mfaUsers).toBe(before.body.stats.mfaUsers - 1);
      expect((await login(user)).status).toBe(200);
      expect(
        (await http(app).delete(`/admin/users/${user.id}/mfa`).auth(accessToken, { type: 'bearer' })).status,
      ).toBe(404);
      const audit = await http(app)
        .get(`/admin/audit?userId=${user.id}&type=mfa.disabled`)
        .auth(accessToken, { type: 'bearer' });
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0].actorId).not.toBe(user.id);
      const subjects = (await notices(user.email)).map((message) => message.text);
      expect(subjects.some((text) => text?.includes('An administrator of Acme removed'))).toBe(true);
    });
  });
});
