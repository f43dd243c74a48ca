import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// "josé": é as one code point (NFC), and as e followed by a combining acute accent (NFD).
const NFC = 'jos\u00e9';
const NFD = 'jose\u0301';

const invisible: [string, string][] = [
  ['a zero-width space', '\u200b'],
  ['a zero-width joiner', '\u200d'],
  ['a word joiner', '\u2060'],
  ['a byte-order mark', '\ufeff'],
  ['a soft hyphen', '\u00ad'],
  ['a left-to-right mark', '\u200e'],
  ['a right-to-left override', '\u202e'],
  ['a right-to-left isolate', '\u2067'],
];

const refusal = (field: string) => ({
  statusCode: 400,
  error: 'Bad Request',
  message: [`${field} must not contain invisible or bidirectional control characters`],
});

describe('Unicode in emails and names', () => {
  let app: NestFastifyApplication;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  const register = (fields: object) =>
    http(app)
      .post('/auth/register')
      .send({
        username: `u.${Math.random().toString(36).slice(2, 10)}`,
        password: 'long enough pw',
        ...fields,
      });

  describe('an email spelled in NFC and in NFD', () => {
    it('is one address: the second registration is a 409', async () => {
      await createUser(app, { email: `${NFC}.one@example.com` });
      const res = await register({ email: `${NFD}.one@example.com` });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'Username or email is already taken',
      });
    });

    it('is stored in NFC, whichever spelling came in', async () => {
      const res = await register({ email: `${NFD}.two@example.com` });
      expect(res.status).toBe(201);
      expect(res.body.email).toBe(`${NFC}.two@example.com`);
    });

    it('is one address without regard to case either', async () => {
      await createUser(app, { email: `${NFC}.three@example.com` });
      const res = await register({ email: `${NFD.toUpperCase()}.THREE@example.com` });
      expect(res.status).toBe(409);
    });

    it('is one address when an admin creates a user', async () => {
      await createUser(app, { email: `${NFC}.four@example.com` });
      const res = await http(app)
        .post('/admin/users')
        .auth(adminToken, { type: 'bearer' })
        .send({ username: 'nfd.by.admin', email: `${NFD}.four@example.com`, password: 'long enough pw' });
      expect(res.status).toBe(409);
    });

    it('is one address when an admin changes an email', async () => {
      await createUser(app, { email: `${NFC}.five@example.com` });
      const other = await createUser(app);
      const res = await http(app)
        .patch(`/admin/users/${other.id}`)
        .auth(adminToken, { type: 'bearer' })
        .send({ email: `${NFD}.five@example.com` });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Email is already taken' });
    });

    it('is one address when users change their own email', async () => {
      await createUser(app, { email: `${NFC}.six@example.com` });
      const me = await createUser(app);
      const { accessToken } = await signIn(app, me);
      const res = await http(app)
        .patch('/users/me')
        .auth(accessToken, { type: 'bearer' })
        .send({ email: `${NFD}.six@example.com`, currentPassword: me.password });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Email is already taken' });
    });

    it('signs in with either spelling, on /auth/login and /auth/token', async () => {
      const user = await createUser(app, { email: `${NFC}.seven@example.com` });
      const login = await http(app)
        .post('/auth/login')
        .send({ username: `${NFD}.seven@example.com`, password: user.password });
      expect(login.status).toBe(200);
      const token = await http(app)
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: `${NFD}.seven@example.com`, password: user.password });
      expect(token.status).toBe(200);
    });
  });

  // Persian and the Indic scripts write some names with a zero-width non-joiner or joiner, and emoji sequences join
  // with one: a name may hold them there, an email never.
  it.each([
    ['a Persian name with a non-joiner', 'مهر\u200cناز'],
    ['a Hindi name with a joiner after a virama', 'क्\u200dषमा'],
    ['an emoji sequence', 'Ana 👩\u200d💻'],
  ])('takes %s in a full name, and refuses the joiner in an email', async (_case, fullName) => {
    const res = await register({ email: `x${Date.now()}@example.com`, fullName });
    expect(res.status).toBe(201);
    expect(res.body.fullName).toBe(fullName);
    const joiner = /[\u200c\u200d]/.exec(fullName)![0];
    const email = await register({ email: `a${joiner}b@example.com` });
    expect(email.body).toEqual(refusal('email'));
  });

  it.each([
    ['a non-joiner between Latin letters', 'Eve\u200cAdmin'],
    ['a joiner at the end of a Persian name', 'مهرناز\u200d'],
    ['a joiner between an emoji and a letter', '👩\u200dAdmin'],
  ])('refuses %s in a full name', async (_case, fullName) => {
    const res = await register({ email: `x${Date.now()}@example.com`, fullName });
    expect(res.body).toEqual(refusal('fullName'));
  });

  describe.each(invisible)('%s', (_case, character) => {
    it('is refused in the email on registration', async () => {
      const res = await register({ email: `admin${character}@example.com` });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(refusal('email'));
    });

    it('is refused in the full name on registration', async () => {
      const res = await register({ email: `x${Date.now()}@example.com`, fullName: `Eve${character}Admin` });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(refusal('fullName'));
    });

    it('is refused in the email and the full name an admin sets', async () => {
      const user = await createUser(app);
      const asAdmin = (body: object) =>
        http(app).patch(`/admin/users/${user.id}`).auth(adminToken, { type: 'bearer' }).send(body);
      const email = await asAdmin({ email: `admin${character}@example.com` });
      expect(email.status).toBe(400);
      expect(email.body).toEqual(refusal('email'));
      const fullName = await asAdmin({ fullName: `Admin${character}` });
      expect(fullName.status).toBe(400);
      expect(fullName.body).toEqual(refusal('fullName'));
    });

    it('is refused in the email and the full name users set on themselves', async () => {
      const me = await createUser(app);
      const { accessToken } = await signIn(app, me);
      const patch = (body: object) =>
        http(app).patch('/users/me').auth(accessToken, { type: 'bearer' }).send(body);
      const email = await patch({ email: `admin${character}@example.com`, currentPassword: me.password });
      expect(email.status).toBe(400);
      expect(email.body).toEqual(refusal('email'));
      const fullName = await patch({ fullName: `Admin${character}` });
      expect(fullName.status).toBe(400);
      expect(fullName.body).toEqual(refusal('fullName'));
    });
  });

  it('accepts names in any script, accents in either spelling included', async () => {
    const res = await register({
      email: `names${Date.now()}@example.com`,
      fullName: `Zoë ${NFD} 张伟 O’Brien`,
    });
    expect(res.status).toBe(201);
    expect(res.body.fullName).toBe(`Zoë ${NFD} 张伟 O’Brien`);
  });

  it('changed nothing: no refused account was created', async () => {
    const res = await http(app).get('/admin/users?q=admin').auth(adminToken, { type: 'bearer' });
    expect(res.body.items.map((user: { username: string }) => user.username)).toEqual(['admin']);
  });
});
