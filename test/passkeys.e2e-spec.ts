import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { DATABASE, type Database } from '../src/database/database';
import { webAuthnChallenges } from '../src/database/schema';
import { RetentionService } from '../src/retention/retention.service';
import { FakeClock } from './support/fake-clock';
import { createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { enrolTotp, totpCodeAt } from './support/second-factor';
import { deliveredTo } from './support/mail';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { SoftAuthenticator, type CeremonyOverrides } from './support/soft-authenticator';
import { closeTestApp, createTestApp } from './support/test-app';

const ORIGIN = 'http://localhost:8080';
const STEP_UP = /^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=300$/;
const REFUSED = 'The passkey was not accepted';

interface RegistrationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials: { id: string; type: string }[];
}

/** Passkeys end to end, with a software authenticator: registration, sign-in, their refusals, and upkeep. */
describe('passkeys', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  let db: Database;
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await createTestApp(
      { SMTP_URL: smtp.url, APP_NAME: 'Acme', WEBAUTHN_ORIGINS: ORIGIN, PURGE_INTERVAL: 'off' },
      { clock },
    );
    db = app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });
  const registrationOptions = (accessToken: string) =>
    http(app).post('/users/me/passkeys/options').set(bearer(accessToken));
  const signInOptions = async (body: { username?: string } = {}) => {
    const res = await http(app).post('/auth/passkeys/options').send(body);
    expect(res.status).toBe(200);
    return res.body as { challenge: string; rpId: string };
  };
  const verify = (response: unknown) => http(app).post('/auth/passkeys/verify').send({ response });

  /** A user with a passkey registered through the API (in a session of its password, unless given one). */
  async function withPasskey({
    user,
    name,
    session,
    counterless,
  }: { user?: TestUser; name?: string; session?: string; counterless?: boolean } = {}): Promise<{
    user: TestUser;
    authenticator: SoftAuthenticator;
    accessToken: string;
    passkeyId: string;
  }> {
    const owner = user ?? (await createUser(app));
    const accessToken = session ?? (await signIn(app, owner)).accessToken;
    const authenticator = new SoftAuthenticator({ origin: ORIGIN, counterless });
    const options = await registrationOptions(accessToken);
    expect(options.status).toBe(200);
    const res = await http(app)
      .post('/users/me/passkeys')
      .set(bearer(accessToken))
      .send({ response: authenticator.register(options.body as RegistrationOptions), ...(name && { name }) });
    expect(res.status).toBe(201);
    return { user: owner, authenticator, accessToken, passkeyId: res.body.id };
  }

  const signInWith = async (authenticator: SoftAuthenticator, overrides: CeremonyOverrides = {}) =>
    verify(authenticator.authenticate(await signInOptions(), overrides));

  const auditOf = async (type: string, userId: string) => {
    const { accessToken } = await signInAsAdmin(app);
    const res = await http(app).get('/admin/audit').query({ type, userId }).set(bearer(accessToken));
    expect(res.status).toBe(200);
    return res.body.items as { type: string; actorId: string | null; details: Record<string, unknown> }[];
  };

  const notices = (to: string) => deliveredTo(app, smtp, to, /passkey/i);

  describe('registration', () => {
    it('offers discoverable, user-verifying options with no attestation, for this RP and user', async () => {
      const user = await createUser(app, { fullName: 'Ada Lovelace' });
      const { accessToken } = await signIn(app, user);
      const res = await registrationOptions(accessToken);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        rp: { id: 'localhost', name: 'Acme' },
        user: { name: user.username, displayName: 'Ada Lovelace' },
        timeout: 300_000,
        attestation: 'none',
        excludeCredentials: [],
        authenticatorSelection: {
          residentKey: 'required',
          requireResidentKey: true,
          userVerification: 'required',
        },
      });
      expect(Buffer.from(res.body.user.id, 'base64url').toString('hex')).toBe(user.id.replaceAll('-', ''));
      expect(Buffer.from(res.body.challenge, 'base64url')).toHaveLength(32);
      expect(res.body.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-8, -7, -257]);
    });

    it('stores the passkey, lists it, audits it, tells the owner, and excludes it from the next options', async () => {
      const { user, accessToken, passkeyId, authenticator } = await withPasskey({ name: 'Laptop' });
      const list = await http(app).get('/users/me/passkeys').set(bearer(accessToken));
      expect(list.status).toBe(200);
      expect(list.body).toEqual([
        {
          id: passkeyId,
          name: 'Laptop',
          createdAt: clock.now().toISOString(),
          lastUsedAt: null,
          backedUp: true,
          deviceType: 'multiDevice',
          transports: ['internal', 'hybrid'],
        },
      ]);
      const next = await registrationOptions(accessToken);
      expect(next.body.excludeCredentials).toEqual([
        { id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] },
      ]);
      const [event] = await auditOf('passkey.added', user.id);
      expect(event).toMatchObject({ actorId: user.id, details: { passkeyId, name: 'Laptop' } });
      const [notice] = await notices(user.email);
      expect(notice?.subject).toBe('A passkey was added to your Acme account');
      expect(notice?.text).toContain('"Laptop"');
      expect(notice?.html).not.toMatch(/<a /);
    });

    it('names a passkey "Passkey" unless told, and refuses a name that is empty, too long or has controls', async () => {
      const { accessToken, passkeyId } = await withPasskey();
      const [passkey] = (await http(app).get('/users/me/passkeys').set(bearer(accessToken))).body;
      expect(passkey).toMatchObject({ id: passkeyId, name: 'Passkey' });
      for (const name of ['', 'x'.repeat(65), 'a\u0000b', 42]) {
        const options = await registrationOptions(accessToken);
        const res = await http(app)
          .post('/users/me/passkeys')
          .set(bearer(accessToken))
          .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options.body), name });
        expect(res.status).toBe(400);
      }
      expect((await http(app).get('/users/me/passkeys').set(bearer(accessToken))).body).toHaveLength(1);
    });

    it.each<[string, (options: RegistrationOptions) => CeremonyOverrides]>([
      ['another origin', () => ({ origin: 'http://localhost:9999' })],
      ['another RP ID', () => ({ rpId: 'example.com' })],
      ['no user verification', () => ({ userVerified: false })],
      ['a sign-in ceremony (webauthn.get)', () => ({ type: 'webauthn.get' })],
      ['a challenge it was not given', () => ({ challenge: Buffer.alloc(32, 7).toString('base64url') })],
    ])('refuses a ceremony from %s with a 400, storing nothing', async (_case, overrides) => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
      const res = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options, overrides(options)) });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(
        /^The passkey was not accepted: (its challenge is unknown|the browser's answer did not verify \(origin, RP ID, user verification, attestation or signature\))/,
      );
      expect((await http(app).get('/users/me/passkeys').set(bearer(accessToken))).body).toEqual([]);
    });

    it('uses a challenge once, and only for the user it was given to', async () => {
      const user = await createUser(app);
      const other = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const otherToken = (await signIn(app, other)).accessToken;
      const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
      const stolen = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(otherToken))
        .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options) });
      expect(stolen.status).toBe(400);
      // The other user's attempt used it up.
      const late = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options) });
      expect(late.status).toBe(400);

      const fresh = (await registrationOptions(accessToken)).body as RegistrationOptions;
      const authenticator = new SoftAuthenticator({ origin: ORIGIN });
      const response = authenticator.register(fresh);
      const first = await http(app).post('/users/me/passkeys').set(bearer(accessToken)).send({ response });
      expect(first.status).toBe(201);
      const again = await http(app).post('/users/me/passkeys').set(bearer(accessToken)).send({ response });
      expect(again.status).toBe(400);
    });

    it('refuses any attestation but none (a certificate chain would send the library after its revocation lists)', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      // A certificate chain would send the library after its revocation lists, at addresses the client chose.
      const chain = new Map<string, Uint8Array[] | number | string>([
        ['alg', -7],
        ['x5c', [new Uint8Array(64)]],
      ]);
      for (const attestation of [
        { fmt: 'android-key', attStmt: chain },
        { fmt: 'packed', attStmt: chain },
        { fmt: 'tpm', attStmt: chain },
      ]) {
        const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
        const res = await http(app)
          .post('/users/me/passkeys')
          .set(bearer(accessToken))
          .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options, { attestation }) });
        expect(res.status).toBe(400);
      }
    });

    it('keeps only the transports WebAuthn knows, once each', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const cases: [unknown, string[]][] = [
        [
          ['usb', 'usb', 1, {}, null, ['nfc'], 'a\u0000b', 'nfc'],
          ['usb', 'nfc'],
        ],
        ['usb', []],
        [{ usb: true }, []],
        [Array.from({ length: 5000 }, () => 'ble'), ['ble']],
      ];
      for (const [transports, kept] of cases) {
        const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
        const res = await http(app)
          .post('/users/me/passkeys')
          .set(bearer(accessToken))
          .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options, { transports }) });
        expect(res.status).toBe(201);
        expect(res.body.transports).toEqual(kept);
      }
    });

    it('refuses a credential id over 1023 bytes with a 400, and takes one of 1023', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      for (const [credentialIdBytes, status] of [
        [3000, 400],
        [1024, 400],
        [1023, 201],
      ]) {
        const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
        const authenticator = new SoftAuthenticator({ origin: ORIGIN, credentialIdBytes });
        const res = await http(app)
          .post('/users/me/passkeys')
          .set(bearer(accessToken))
          .send({ response: authenticator.register(options) });
        expect(res.status).toBe(status);
      }
    });

    it('refuses a credential registered already, to anyone, with a 409', async () => {
      const { authenticator } = await withPasskey();
      const other = await createUser(app);
      const { accessToken } = await signIn(app, other);
      const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
      const res = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: authenticator.register(options) });
      expect(res.status).toBe(409);
      expect(res.body.message).toBe('This passkey is registered already');
    });

    it('keeps at most 10 passkeys: the options and the registration answer 409 past them', async () => {
      const { user, accessToken } = await withPasskey();
      const pending = (await registrationOptions(accessToken)).body as RegistrationOptions;
      for (let held = 1; held < 10; held++) {
        await withPasskey({ user });
      }
      const full = await registrationOptions(accessToken);
      expect(full.status).toBe(409);
      expect(full.body.message).toBe('An account holds at most 10 passkeys: remove one first');
      const res = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(pending) });
      expect(res.status).toBe(409);
      expect((await http(app).get('/users/me/passkeys').set(bearer(accessToken))).body).toHaveLength(10);
    });

    it('needs a recent sign-in, for the options and for the registration', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
      clock.advance(301);
      const late = await registrationOptions(accessToken);
      expect(late.status).toBe(401);
      expect(late.headers['www-authenticate']).toMatch(STEP_UP);
      const res = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: new SoftAuthenticator({ origin: ORIGIN }).register(options) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(STEP_UP);
    });

    it('refuses a malformed body with a 400 and a broken answer without a 5xx', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      await registrationOptions(accessToken);
      const broken = [
        undefined,
        'text',
        [],
        {},
        { id: 1 },
        { id: 'x', response: 'y' },
        { id: 'x', response: { clientDataJSON: '!!!' } },
        { id: 'x', response: { clientDataJSON: Buffer.from('{"challenge":5}').toString('base64url') } },
        {
          id: 'x',
          rawId: 'x',
          type: 'public-key',
          response: { clientDataJSON: 'e30', attestationObject: 'AA' },
        },
      ];
      for (const response of broken) {
        const res = await http(app).post('/users/me/passkeys').set(bearer(accessToken)).send({ response });
        expect(res.status).toBe(400);
      }
      // A live challenge and a broken attestation: the library's own words (its internals) stay in the debug log.
      const options = (await registrationOptions(accessToken)).body as RegistrationOptions;
      const answer = new SoftAuthenticator({ origin: ORIGIN }).register(options);
      const res = await http(app)
        .post('/users/me/passkeys')
        .set(bearer(accessToken))
        .send({ response: { ...answer, response: { ...answer.response, attestationObject: 'AAAA' } } });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(
        "The passkey was not accepted: the browser's answer did not verify (origin, RP ID, user verification, attestation or signature)",
      );
    });
  });

  describe('signing in', () => {
    it('offers usernameless options: user verification required, no credentials listed', async () => {
      const res = await http(app).post('/auth/passkeys/options').send({});
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        rpId: 'localhost',
        timeout: 300_000,
        userVerification: 'required',
      });
    });

    it('gives a token pair with amr hwk and user, and notes the passkey used', async () => {
      const { user, authenticator, accessToken } = await withPasskey();
      clock.advance(60);
      const res = await signInWith(authenticator);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      const claims = decodeJwt(res.body.access_token);
      expect(claims).toMatchObject({
        sub: user.id,
        amr: ['hwk', 'user'],
        auth_time: Math.floor(clock.now().getTime() / 1000),
      });
      const me = await http(app).get('/users/me').set(bearer(res.body.access_token));
      expect(me.body.username).toBe(user.username);
      const [passkey] = (await http(app).get('/users/me/passkeys').set(bearer(accessToken))).body;
      expect(passkey.lastUsedAt).toBe(clock.now().toISOString());
      const refreshed = await http(app).post('/auth/refresh').send({ refresh_token: res.body.refresh_token });
      expect(decodeJwt(refreshed.body.access_token).amr).toEqual(['hwk', 'user']);
    });

    it('ties a challenge to the username (or email) given: only its passkeys answer it', async () => {
      const { user, authenticator } = await withPasskey();
      const { authenticator: another } = await withPasskey();
      expect(
        (await verify(authenticator.authenticate(await signInOptions({ username: user.username })))).status,
      ).toBe(200);
      expect(
        (await verify(authenticator.authenticate(await signInOptions({ username: user.email })))).status,
      ).toBe(200);
      const res = await verify(another.authenticate(await signInOptions({ username: user.username })));
      expect(res.status).toBe(401);
      expect(res.body.message).toBe(REFUSED);
    });

    it('answers an unknown username as a known one, and no passkey completes it', async () => {
      const { authenticator } = await withPasskey();
      const known = await http(app).post('/auth/passkeys/options').send({ username: 'admin' });
      const unknown = await http(app).post('/auth/passkeys/options').send({ username: 'no.such.user' });
      expect(unknown.status).toBe(known.status);
      expect(Object.keys(unknown.body)).toEqual(Object.keys(known.body));
      expect((await verify(authenticator.authenticate(unknown.body))).status).toBe(401);
    });

    it.each<[string, CeremonyOverrides]>([
      ['another origin', { origin: 'http://localhost:9999' }],
      ['another RP ID', { rpId: 'example.com' }],
      ['no user verification', { userVerified: false }],
      ['no user presence', { userPresent: false }],
      ['a bad signature', { badSignature: true }],
      ['a registration ceremony (webauthn.create)', { type: 'webauthn.create' }],
      ['a challenge it was not given', { challenge: Buffer.alloc(32, 9).toString('base64url') }],
    ])('refuses %s with a 401 and records the failure', async (_case, overrides) => {
      const { user, authenticator } = await withPasskey();
      const res = await signInWith(authenticator, overrides);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe(REFUSED);
      const [failure] = await auditOf('login.failed', user.id);
      expect(failure?.details).toEqual({ reason: 'passkey refused' });
      expect((await signInWith(authenticator)).status).toBe(200);
    });

    it("refuses an answer whose user handle is not the passkey owner's", async () => {
      const { authenticator } = await withPasskey();
      const { authenticator: another } = await withPasskey();
      authenticator.userHandle = another.userHandle;
      expect((await signInWith(authenticator)).status).toBe(401);
    });

    it('needs the user handle in a usernameless sign-in, not with a username', async () => {
      const { user, authenticator } = await withPasskey();
      expect((await signInWith(authenticator, { userHandle: null })).status).toBe(401);
      const forUser = await signInOptions({ username: user.username });
      expect((await verify(authenticator.authenticate(forUser, { userHandle: null }))).status).toBe(200);
    });

    it('refuses an unknown or removed passkey', async () => {
      const stranger = new SoftAuthenticator({ origin: ORIGIN });
      await withPasskey().then(({ authenticator }) => (stranger.userHandle = authenticator.userHandle));
      expect((await signInWith(stranger)).status).toBe(401);

      const { authenticator, accessToken, passkeyId } = await withPasskey();
      expect(
        (await http(app).delete(`/users/me/passkeys/${passkeyId}`).set(bearer(accessToken))).status,
      ).toBe(204);
      expect((await signInWith(authenticator)).status).toBe(401);
    });

    it('uses a challenge once: a replayed answer, and a second answer to one challenge, are refused', async () => {
      const { authenticator } = await withPasskey();
      const options = await signInOptions();
      const answer = authenticator.authenticate(options);
      expect((await verify(answer)).status).toBe(200);
      expect((await verify(answer)).status).toBe(401);
      expect((await verify(authenticator.authenticate(options))).status).toBe(401);
    });

    it('of answers racing with one challenge, accepts exactly one', async () => {
      const { authenticator } = await withPasskey();
      const answer = authenticator.authenticate(await signInOptions());
      const statuses = (await Promise.all(Array.from({ length: 5 }, () => verify(answer)))).map(
        (res) => res.status,
      );
      expect(statuses.sort()).toEqual([200, 401, 401, 401, 401]);
    });

    it('keeps a challenge 5 minutes', async () => {
      const { authenticator } = await withPasskey();
      const options = await signInOptions();
      const late = await signInOptions();
      clock.advance(299);
      expect((await verify(authenticator.authenticate(options))).status).toBe(200);
      clock.advance(2);
      expect((await verify(authenticator.authenticate(late))).status).toBe(401);
    });

    it('refuses a signature counter that did not go up, and audits it as a copied key', async () => {
      const { user, authenticator, passkeyId } = await withPasskey();
      expect((await signInWith(authenticator, { counter: 7 })).status).toBe(200);
      for (const counter of [7, 3]) {
        const res = await signInWith(authenticator, { counter });
        expect(res.status).toBe(401);
        expect(res.body.message).toBe(REFUSED);
      }
      const events = await auditOf('passkey.counter_regressed', user.id);
      expect(events.map((event) => event.details)).toEqual([
        { passkeyId, storedCounter: 7, presentedCounter: 3 },
        { passkeyId, storedCounter: 7, presentedCounter: 7 },
      ]);
      expect((await signInWith(authenticator, { counter: 8 })).status).toBe(200);
    });

    it('lets an authenticator that keeps no counter (always 0) sign in again and again', async () => {
      const { authenticator } = await withPasskey({ counterless: true });
      for (let round = 0; round < 3; round++) {
        expect((await signInWith(authenticator)).status).toBe(200);
      }
    });

    it('refuses a malformed body with a 400, and a broken answer with a 401, never a 5xx', async () => {
      for (const body of [{}, { response: 'x' }, { response: [] }, { response: {} }, { response: null }]) {
        expect((await http(app).post('/auth/passkeys/verify').send(body)).status).toBe(400);
      }
      for (const response of [
        { id: 'a\u0000b', rawId: 'a\u0000b', response: { clientDataJSON: 'e30' } },
        { id: 'A'.repeat(5000), response: { clientDataJSON: 'e30' } },
        { id: 1 },
        { id: 'x', response: 'y' },
        { id: 'x', response: { clientDataJSON: 'e30' } },
        {
          id: 'x',
          rawId: 'x',
          type: 'public-key',
          response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
        },
      ]) {
        expect((await verify(response)).status).toBe(401);
      }
      for (const username of [42, '', 'x'.repeat(321)]) {
        expect((await http(app).post('/auth/passkeys/options').send({ username })).status).toBe(400);
      }
    });

    it('holds an account to the rules of a password: a disabled one is 403, a locked one 429', async () => {
      const { user, authenticator } = await withPasskey();
      for (let attempt = 0; attempt < 5; attempt++) {
        await http(app)
          .post('/auth/login')
          .send({ username: user.username, password: 'wrong-password-here' });
      }
      const locked = await signInWith(authenticator);
      expect(locked.status).toBe(429);
      expect(locked.headers['retry-after']).toBeDefined();
      clock.advance(61);
      expect((await signInWith(authenticator)).status).toBe(200);

      const { accessToken } = await signInAsAdmin(app);
      await http(app)
        .patch(`/admin/users/${user.id}`)
        .set(bearer(accessToken))
        .send({ disabled: true })
        .expect(200);
      const disabled = await signInWith(authenticator);
      expect(disabled.status).toBe(403);
      expect(disabled.body.message).toBe('This account is disabled');
    });

    it('signs an account with an authenticator app in without a code, strongly enough for step-up', async () => {
      const enrolled = await enrolTotp(app, clock);
      const challenged = await http(app)
        .post('/auth/login')
        .send({ username: enrolled.username, password: enrolled.password });
      clock.advance(30);
      const strong = await http(app)
        .post('/auth/mfa')
        .send({ mfa_token: challenged.body.mfa_token, code: await totpCodeAt(clock, enrolled.secret) });
      expect(strong.status).toBe(200);
      const { authenticator, passkeyId } = await withPasskey({
        user: enrolled,
        session: strong.body.access_token,
      });
      clock.advance(301);
      const res = await signInWith(authenticator);
      expect(res.status).toBe(200);
      const accessToken = res.body.access_token as string;
      // Removing the passkey needs step-up: for this account, otp or hwk in amr.
      const removed = await http(app).delete(`/users/me/passkeys/${passkeyId}`).set(bearer(accessToken));
      expect(removed.status).toBe(204);
      const password = await signIn(app, enrolled).catch((error: Error) => error.message);
      expect(password).toMatch(/^login failed: 403 .*mfa_token/);
    });
  });

  describe('upkeep', () => {
    it('renames a passkey of its owner only', async () => {
      const { accessToken, passkeyId } = await withPasskey();
      const other = await withPasskey();
      const res = await http(app)
        .patch(`/users/me/passkeys/${passkeyId}`)
        .set(bearer(accessToken))
        .send({ name: 'Phone' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: passkeyId, name: 'Phone' });
      const foreign = await http(app)
        .patch(`/users/me/passkeys/${other.passkeyId}`)
        .set(bearer(accessToken))
        .send({ name: 'Mine' });
      expect(foreign.status).toBe(404);
      expect(
        (await http(app).patch('/users/me/passkeys/not-a-uuid').set(bearer(accessToken)).send({ name: 'x' }))
          .status,
      ).toBe(400);
      expect(
        (await http(app).patch(`/users/me/passkeys/${passkeyId}`).set(bearer(accessToken)).send({})).status,
      ).toBe(400);
    });

    it('removes a passkey with step-up, audits it and tells the owner; another user’s is a 404', async () => {
      const { user, accessToken, passkeyId } = await withPasskey({ name: 'Old key' });
      const other = await withPasskey();
      expect(
        (await http(app).delete(`/users/me/passkeys/${other.passkeyId}`).set(bearer(accessToken))).status,
      ).toBe(404);
      clock.advance(301);
      const late = await http(app).delete(`/users/me/passkeys/${passkeyId}`).set(bearer(accessToken));
      expect(late.status).toBe(401);
      expect(late.headers['www-authenticate']).toMatch(STEP_UP);
      const fresh = await signIn(app, user);
      expect(
        (await http(app).delete(`/users/me/passkeys/${passkeyId}`).set(bearer(fresh.accessToken))).status,
      ).toBe(204);
      expect(
        (await http(app).delete(`/users/me/passkeys/${passkeyId}`).set(bearer(fresh.accessToken))).status,
      ).toBe(404);
      expect((await http(app).get('/users/me/passkeys').set(bearer(fresh.accessToken))).body).toEqual([]);
      const [event] = await auditOf('passkey.removed', user.id);
      expect(event?.details).toEqual({ passkeyId, name: 'Old key' });
      const sent = await notices(user.email);
      // Sent in parallel, in no set order.
      expect(sent.map((message) => message.subject).sort()).toEqual([
        'A passkey was added to your Acme account',
        'A passkey was removed from your Acme account',
      ]);
    });

    it("puts the user's passkeys in the export, and deletes them with the account", async () => {
      const { user, accessToken, passkeyId, authenticator } = await withPasskey({ name: 'Laptop' });
      const exported = await http(app).get('/users/me/export').set(bearer(accessToken));
      expect(exported.body.passkeys).toEqual([expect.objectContaining({ id: passkeyId, name: 'Laptop' })]);
      expect(JSON.stringify(exported.body)).not.toContain(authenticator.id);
      const deleted = await http(app)
        .delete('/users/me')
        .set(bearer(accessToken))
        .send({ password: user.password });
      expect(deleted.status).toBe(204);
      expect((await signInWith(authenticator)).status).toBe(401);
    });

    it('purges the challenges of ceremonies never finished once they expire', async () => {
      const options = await signInOptions();
      const hashOf = (await import('node:crypto'))
        .createHash('sha256')
        .update(options.challenge)
        .digest('base64url');
      const stored = () =>
        db.select().from(webAuthnChallenges).where(eq(webAuthnChallenges.challengeHash, hashOf));
      expect(await stored()).toHaveLength(1);
      clock.advance(301);
      const purged = await app.get(RetentionService).purgeOnce();
      expect(purged?.webauthn_challenges).toBeGreaterThanOrEqual(1);
      expect(await stored()).toEqual([]);
    });
  });
});

describe('passkeys with REQUIRE_EMAIL_VERIFICATION=true', () => {
  let app: NestFastifyApplication;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await createTestApp({ REQUIRE_EMAIL_VERIFICATION: 'true', WEBAUTHN_ORIGINS: ORIGIN }, { clock });
  });

  afterAll(() => closeTestApp(app));

  it('refuses an unverified address with a 403, as for a password', async () => {
    const admin = { Authorization: `Bearer ${(await signInAsAdmin(app)).accessToken}` };
    const user = {
      username: 'unverified.later',
      email: 'unverified.later@example.com',
      password: 'pw-unverified-later',
    };
    const created = await http(app)
      .post('/admin/users')
      .set(admin)
      .send({ ...user, emailVerified: true });
    expect(created.status).toBe(201);
    const { accessToken } = await signIn(app, user);
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const options = await http(app)
      .post('/users/me/passkeys/options')
      .set({ Authorization: `Bearer ${accessToken}` });
    const added = await http(app)
      .post('/users/me/passkeys')
      .set({ Authorization: `Bearer ${accessToken}` })
      .send({ response: authenticator.register(options.body) });
    expect(added.status).toBe(201);
    await http(app)
      .patch(`/admin/users/${created.body.id}`)
      .set(admin)
      .send({ emailVerified: false })
      .expect(200);
    const signInOptions = (await http(app).post('/auth/passkeys/options').send({})).body;
    const res = await http(app)
      .post('/auth/passkeys/verify')
      .send({ response: authenticator.authenticate(signInOptions) });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/^Verify your email address first/);
  });
});
