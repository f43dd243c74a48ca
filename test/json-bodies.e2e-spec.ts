import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Test } from 'supertest';
import { createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

interface Schema {
  type?: string;
  nullable?: boolean;
  $ref?: string;
  properties?: Record<string, Schema>;
}

interface Operation {
  requestBody?: { content: Record<string, { schema?: Schema }> };
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const BODY_METHODS = ['post', 'put', 'patch', 'delete'];
const NOT_AN_OBJECT = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'The request body must be a JSON object',
};

// A JSON body is an object: where the document says an object or a string, null is refused; where null is taken,
// the document says nullable.
describe('JSON bodies', () => {
  let app: NestFastifyApplication;
  let document: Document;
  let user: TestUser;
  let userToken: string;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    document = (await http(app).get('/api-json').expect(200)).body;
    user = await createUser(app, { fullName: 'Ada Lovelace' });
    userToken = (await signIn(app, user)).accessToken;
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  const send = (method: string, path: string): Test =>
    (http(app) as unknown as Record<string, (url: string) => Test>)[method]!(path);
  const asUser = (req: Test) => req.auth(userToken, { type: 'bearer' });
  const asAdmin = (req: Test) => req.auth(adminToken, { type: 'bearer' });
  const json = (req: Test, body: string) => req.set('Content-Type', 'application/json').send(body);
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ method, path, operation })),
    );
  const jsonSchema = (operation: Operation): Schema | undefined => {
    const ref = operation.requestBody?.content['application/json']?.schema?.$ref;
    return ref ? document.components.schemas[ref.split('/').pop()!] : undefined;
  };
  /** The path with its parameters filled: the signed-in user's id, so admin routes reach an account. */
  const fill = (path: string) => path.replace(/\{[^}]+\}/g, user.id);
  /** A token the operation accepts: the admin's under /admin, the user's elsewhere (ignored where none is asked). */
  const signedIn = (path: string, req: Test) => (path.startsWith('/admin') ? asAdmin(req) : asUser(req));

  it.each(['null', '[]', '[{"fullName":null}]', '42', '"text"', 'true'])(
    'answers %s as the body of every operation that reads one with 400, in the error shape',
    async (body) => {
      const json = operations().filter(
        ({ method, operation }) =>
          BODY_METHODS.includes(method) &&
          !operation.requestBody?.content['application/x-www-form-urlencoded'],
      );
      expect(json.length).toBeGreaterThan(20);
      for (const { method, path } of json) {
        const res = await signedIn(path, send(method, fill(path)))
          .set('Content-Type', 'application/json')
          .send(body);
        expect([method, path, res.status, res.body]).toEqual([method, path, 400, NOT_AN_OBJECT]);
      }
    },
  );

  it.each([
    ['malformed JSON', '{"username":', 'The request body is not valid JSON'],
    [
      'a __proto__ key',
      '{"__proto__":{"roles":["admin"]}}',
      'The request body holds a forbidden property (__proto__ or constructor.prototype)',
    ],
    [
      'a constructor.prototype key',
      '{"constructor":{"prototype":{"x":1}}}',
      'The request body holds a forbidden property (__proto__ or constructor.prototype)',
    ],
  ])('names %s as such', async (_case, body, message) => {
    const res = await json(http(app).post('/auth/register'), body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
  });

  it('answers a null body on the OAuth 2.0 endpoints with an RFC 6749 invalid_request', async () => {
    for (const path of ['/auth/token', '/auth/introspect', '/auth/revoke']) {
      const res = await json(http(app).post(path), 'null');
      expect([path, res.status, res.body]).toEqual([
        path,
        400,
        { error: 'invalid_request', error_description: expect.any(String) },
      ]);
    }
  });

  it('changed nothing: a null body on PATCH /users/me and PATCH /admin/users/:id left the profile as it was', async () => {
    await json(asUser(http(app).patch('/users/me')), 'null').expect(400);
    await json(asAdmin(http(app).patch(`/admin/users/${user.id}`)), 'null').expect(400);
    const me = await asUser(http(app).get('/users/me')).expect(200);
    expect(me.body.fullName).toBe('Ada Lovelace');
  });

  it('refuses null for every field the document says is a string, not nullable, naming the field', async () => {
    const strictStrings = operations().flatMap(({ method, path, operation }) =>
      Object.entries(jsonSchema(operation)?.properties ?? {})
        .filter(([, schema]) => schema.type === 'string' && !schema.nullable)
        .map(([property]) => ({ method, path, property })),
    );
    expect(strictStrings.length).toBeGreaterThan(10);
    const taken: string[] = [];
    for (const { method, path, property } of strictStrings) {
      const res = await signedIn(path, send(method, fill(path))).send({ [property]: null });
      const messages: unknown[] = [res.body.message].flat();
      if (res.status !== 400 || !messages.some((message) => String(message).startsWith(`${property} `))) {
        taken.push(`${method} ${path} ${property}: ${res.status}`);
      }
    }
    expect(taken).toEqual([]);
  });

  describe('fullName, which the document says is nullable where it is taken', () => {
    it.each(['RegisterDto', 'CreateUserDto', 'UpdateMeDto', 'UpdateUserDto'])('%s: nullable', (name) => {
      expect(document.components.schemas[name]?.properties?.fullName).toEqual(
        expect.objectContaining({ type: 'string', nullable: true }),
      );
    });

    it('POST /auth/register with fullName null creates an account without a name', async () => {
      const name = `null.${randomUUID().slice(0, 8)}`;
      const res = await http(app)
        .post('/auth/register')
        .send({ username: name, email: `${name}@example.com`, password: 'long enough pw', fullName: null });
      expect(res.status).toBe(201);
      expect(res.body.fullName).toBeNull();
    });

    it('POST /admin/users with fullName null creates an account without a name', async () => {
      const name = `null.${randomUUID().slice(0, 8)}`;
      const res = await asAdmin(http(app).post('/admin/users')).send({
        username: name,
        email: `${name}@example.com`,
        password: 'long enough pw',
        fullName: null,
      });
      expect(res.status).toBe(201);
      expect(res.body.fullName).toBeNull();
    });

    it('PATCH /users/me and PATCH /admin/users/:id with fullName null clear the name', async () => {
      const named = await createUser(app, { fullName: 'Grace Hopper' });
      const { accessToken } = await signIn(app, named);
      const mine = await http(app)
        .patch('/users/me')
        .auth(accessToken, { type: 'bearer' })
        .send({ fullName: null });
      expect(mine.status).toBe(200);
      expect(mine.body.fullName).toBeNull();

      await http(app).patch('/users/me').auth(accessToken, { type: 'bearer' }).send({ fullName: 'Grace' });
      const byAdmin = await asAdmin(http(app).patch(`/admin/users/${named.id}`)).send({ fullName: null });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.fullName).toBeNull();
    });

    it.each([
      ['an empty string', ''],
      ['a number', 42],
    ])('still refuses %s as a fullName', async (_case, fullName) => {
      const res = await asUser(http(app).patch('/users/me')).send({ fullName });
      expect(res.status).toBe(400);
    });
  });
});
