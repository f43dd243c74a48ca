import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Test } from 'supertest';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

interface Operation {
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: { 'application/json'?: { schema?: { $ref?: string } } } }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[] }> };
}

const FORM = 'application/x-www-form-urlencoded';
const BODY_METHODS = ['post', 'put', 'patch', 'delete'];

// The statuses the HTTP layer answers before a controller runs (body limit, content type, header size): the document
// must list each on every operation that can get it, and each operation must really answer it, in that shape.
describe('the statuses of the HTTP layer, documented and answered', () => {
  let app: NestFastifyApplication;
  let document: Document;
  let operations: [string, string, Operation][];

  beforeAll(async () => {
    app = await createTestApp({ INTROSPECTION_CLIENTS: 'orders-api:orders-secret' });
    document = (await http(app).get('/api-json').expect(200)).body;
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]): [string, string, Operation] => [
        method,
        path,
        operation,
      ]),
    );
  });
  afterAll(() => closeTestApp(app));

  const isForm = (operation: Operation) => FORM in (operation.requestBody?.content ?? {});
  const readsBody = ([method]: [string, string, Operation]) => BODY_METHODS.includes(method);
  const schemaName = (operation: Operation, status: string) =>
    operation.responses[status]?.content?.['application/json']?.schema?.$ref?.split('/').pop();
  const send = (method: string, path: string): Test =>
    (http(app) as unknown as Record<string, (url: string) => Test>)[method]!(
      path.replace(/\{[^}]+\}/g, randomUUID()),
    );
  /** The body's fields are exactly the required ones of the schema the document gives that status. */
  const expectDocumentedShape = (operation: Operation, status: string, body: object) => {
    const schema = document.components.schemas[schemaName(operation, status)!];
    expect(Object.keys(body).sort()).toEqual([...(schema?.required ?? [])].sort());
  };

  it('walks a document of many operations, with and without bodies', () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.filter(([, , operation]) => operation.requestBody).length).toBeGreaterThan(10);
  });

  it('documents 413 and 415 on every operation with a request body, and on every other one Fastify reads a body for', () => {
    const missing = operations
      .filter((entry) => entry[2].requestBody || readsBody(entry))
      .filter(([, , operation]) => !operation.responses['413'] || !operation.responses['415'])
      .map(([method, path]) => `${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('documents 431 on every operation', () => {
    const missing = operations.filter(([, , operation]) => !operation.responses['431']);
    expect(missing.map(([method, path]) => `${method} ${path}`)).toEqual([]);
  });

  it("gives the OAuth 2.0 endpoints' errors RFC 6749's shape, 400 invalid_request among them", () => {
    const oauth = operations.filter(([, , operation]) => isForm(operation));
    expect(oauth.map(([method, path]) => `${method} ${path}`).sort()).toEqual([
      'post /auth/introspect',
      'post /auth/revoke',
      'post /auth/token',
    ]);
    for (const [, , operation] of oauth) {
      for (const status of ['400', '401', '413', '415', '429']) {
        expect([status, schemaName(operation, status)]).toEqual([status, 'OAuthErrorDto']);
      }
      expect(schemaName(operation, '431')).toBe('ErrorDto');
    }
  });

  it.each(['/auth/introspect', '/auth/revoke'])(
    'answers %s without a token with its documented 400 invalid_request',
    async (path) => {
      const res = await http(app).post(path).auth('orders-api', 'orders-secret').type('form').send('x=1');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      expectDocumentedShape(document.paths[path]!.post!, '400', res.body);
    },
  );

  it('answers a body over BODY_LIMIT with 413 on each operation that reads a body, in the documented shape', async () => {
    const overLimit = 'x'.repeat(100 * 1024 + 1);
    for (const [method, path, operation] of operations.filter(readsBody)) {
      const res = isForm(operation)
        ? await send(method, path).type('form').send(`token=${overLimit}`)
        : await send(method, path).set('Content-Type', 'application/json').send(`{"a":"${overLimit}"}`);
      expect([method, path, res.status]).toEqual([method, path, 413]);
      expectDocumentedShape(operation, '413', res.body);
    }
  });

  it('answers a body of a type it does not read with 415 on each operation that reads a body', async () => {
    for (const [method, path, operation] of operations.filter(readsBody)) {
      const res = await send(method, path).set('Content-Type', 'application/xml').send('<a/>');
      expect([method, path, res.status]).toEqual([method, path, 415]);
      expectDocumentedShape(operation, '415', res.body);
    }
  });

  it('answers a text body with 415 on the JSON operations, before asking for a token', async () => {
    const json = operations.filter((entry) => readsBody(entry) && !isForm(entry[2]));
    for (const [method, path, operation] of json) {
      const res = await send(method, path).set('Content-Type', 'text/plain').send('{}');
      expect([method, path, res.status]).toEqual([method, path, 415]);
      expectDocumentedShape(operation, '415', res.body);
    }
  });

  it('answers headers over 16 KB with 431 on every operation', async () => {
    for (const [method, path, operation] of operations) {
      const res = await send(method, path).set('X-Padding', 'p'.repeat(16 * 1024));
      expect([method, path, res.status]).toEqual([method, path, 431]);
      expectDocumentedShape(operation, '431', res.body);
    }
  });
});
