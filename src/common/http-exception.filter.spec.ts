import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { HttpExceptionFilter } from './http-exception.filter';
import { InvalidTokenException } from './invalid-token.exception';
import { OAuthError } from './oauth-error';

/** Records what the filter answers, the way a Fastify reply would take it. */
class RecordedReply {
  statusCode?: number;
  headers: Record<string, string> = {};
  body?: unknown;

  status(statusCode: number): this {
    this.statusCode = statusCode;
    return this;
  }

  header(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  send(body: unknown): this {
    this.body = body;
    return this;
  }
}

interface FakeRequest {
  method: string;
  routeOptions: { url: string };
  headers: Record<string, string>;
}

function answerTo(exception: unknown, headers: Record<string, string> = {}): RecordedReply {
  const request: FakeRequest = { method: 'POST', routeOptions: { url: '/users/me' }, headers };
  const reply = new RecordedReply();
  new HttpExceptionFilter().catch(exception, new ExecutionContextHost([request, reply]));
  return reply;
}

const answer = (reply: RecordedReply) => ({
  status: reply.statusCode,
  headers: reply.headers,
  body: reply.body,
});

/** A Fastify error as its content-type parser raises it. */
const fastifyError = (code: string, statusCode: number, message: string) =>
  Object.assign(new Error(message), { code, statusCode });

describe('HttpExceptionFilter', () => {
  let logged: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('gives an HttpException with a string the contract shape', () => {
    expect(answer(answerTo(new HttpException('Registration is turned off', HttpStatus.FORBIDDEN)))).toEqual({
      status: 403,
      headers: {},
      body: { statusCode: 403, message: 'Registration is turned off', error: 'Forbidden' },
    });
  });

  it.each([
    [
      'a ConflictException with a message',
      new ConflictException('Username or email is already taken'),
      409,
      'Username or email is already taken',
      'Conflict',
    ],
    ['a NotFoundException without a message', new NotFoundException(), 404, 'Not Found', 'Not Found'],
    ['a ForbiddenException without a message', new ForbiddenException(), 403, 'Forbidden', 'Forbidden'],
    [
      'an HttpException whose message is not text',
      new HttpException({ message: 42 }, 400),
      400,
      'Bad Request',
      'Bad Request',
    ],
    [
      'an HttpException whose messages are not all text',
      new HttpException({ message: ['ok', 42] }, 400),
      400,
      'Bad Request',
      'Bad Request',
    ],
  ])('gives %s the contract shape', (_case, exception, statusCode, message, error) => {
    expect(answer(answerTo(exception))).toEqual({
      status: statusCode,
      headers: {},
      body: { statusCode, message, error },
    });
  });

  it('keeps the list of messages of a ValidationPipe refusal', () => {
    const messages = ['username must be a string', 'property roles should not exist'];
    expect(answer(answerTo(new BadRequestException(messages)))).toEqual({
      status: 400,
      headers: {},
      body: { statusCode: 400, message: messages, error: 'Bad Request' },
    });
  });

  it.each([
    ['no Authorization header', {}, 'Bearer'],
    ['a Basic Authorization header', { authorization: 'Basic am9objpwdw==' }, 'Bearer'],
    ['a bearer token', { authorization: 'Bearer x' }, 'Bearer'],
  ])('adds WWW-Authenticate to a 401 after %s', (_case, headers, challenge) => {
    expect(answer(answerTo(new UnauthorizedException(), headers))).toEqual({
      status: 401,
      headers: { 'www-authenticate': challenge },
      body: { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' },
    });
  });

  it('says invalid_token only for a refused access token (RFC 6750 §3.1)', () => {
    expect(answer(answerTo(new InvalidTokenException(), { authorization: 'Bearer x' }))).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      body: { statusCode: 401, message: 'Invalid or expired access token', error: 'Unauthorized' },
    });
  });

  it('renders an OAuthError as RFC 6749 §5.2 says, uncached', () => {
    expect(answer(answerTo(new OAuthError('invalid_grant', 'The refresh token is no good')))).toEqual({
      status: 400,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { error: 'invalid_grant', error_description: 'The refresh token is no good' },
    });
  });

  it.each([
    [
      'malformed JSON',
      fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Body is not valid JSON'),
      400,
      'Bad Request',
      'Bad Request',
    ],
    [
      'an empty JSON body',
      fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Body cannot be empty'),
      400,
      'Bad Request',
      'Bad Request',
    ],
    [
      'a body over the limit',
      fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'),
      413,
      'Payload Too Large',
      'Payload Too Large',
    ],
    [
      'an unknown content type',
      fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'),
      415,
      'Unsupported Media Type',
      'Unsupported Media Type',
    ],
    [
      'a wrong Content-Length',
      fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'Request body size did not match'),
      400,
      'Bad Request',
      'Bad Request',
    ],
  ])(
    'answers %s raised below Nest with its status, without naming the library',
    (_case, exception, statusCode, message, error) => {
      expect(answer(answerTo(exception))).toEqual({
        status: statusCode,
        headers: {},
        body: { statusCode, message, error },
      });
      expect(logged).not.toHaveBeenCalled();
    },
  );

  it('treats a Fastify server error as unexpected: a bare 500, logged', () => {
    const exception = fastifyError(
      'FST_ERR_REP_INVALID_PAYLOAD_TYPE',
      500,
      'Attempted to send payload of invalid type',
    );
    expect(answer(answerTo(exception))).toEqual({
      status: 500,
      headers: {},
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    });
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('answers a request aborted mid-body (a 400 without a Fastify code) as a client error, unlogged', () => {
    const aborted = Object.assign(new Error('aborted'), { statusCode: 400 });
    expect(answer(answerTo(aborted)).status).toBe(400);
    expect(logged).not.toHaveBeenCalled();
  });

  it("names a status Nest's table lacks by its reason phrase", () => {
    expect(answer(answerTo(new HttpException('Gone for good', 410))).body).toEqual({
      statusCode: 410,
      message: 'Gone for good',
      error: 'Gone',
    });
  });

  it('answers an unexpected error with a bare 500 and logs it', () => {
    expect(answer(answerTo(new TypeError("Cannot read properties of undefined (reading 'id')")))).toEqual({
      status: 500,
      headers: {},
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    });
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]).toEqual([
      'Unhandled error on POST /users/me',
      expect.stringMatching(/^TypeError: Cannot read properties of undefined \(reading 'id'\)\n {4}at /),
    ]);
  });

  it('answers a thrown non-error with a bare 500', () => {
    expect(answer(answerTo('boom'))).toEqual({
      status: 500,
      headers: {},
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    });
    expect(logged.mock.calls[0]).toEqual(['Unhandled error on POST /users/me', "'boom'"]);
  });

  it('leaves the query parameters of a failed query, and of its causes, out of the log', () => {
    const cause = new Error('duplicate key value violates unique constraint\nparams: cause@example.com');
    const failedQuery = new Error(
      'Failed query: update "users" set "password_hash" = $1 where "email" = $2\nparams: $2b$12$hash,john@example.com',
      { cause },
    );

    expect(answerTo(failedQuery).statusCode).toBe(500);
    const text = (logged.mock.calls[0] as string[]).join('\n');
    expect(text).toContain('Failed query: update "users" set "password_hash" = $1 where "email" = $2');
    expect(text).toContain('Caused by:\n  Error: duplicate key value violates unique constraint');
    expect(text).not.toMatch(/params:/);
    expect(text).not.toMatch(/\$2b\$12\$hash|@example\.com/);
  });

  describe('a lost database', () => {
    let warned: jest.SpyInstance;

    beforeEach(() => {
      warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    });

    /** The driver's error as Drizzle throws it: wrapped, with the query and its parameters in the message. */
    const failedQuery = (cause: Error) =>
      new Error('Failed query: select "id" from "users" where "email" = $1\nparams: john@example.com', {
        cause,
      });
    const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
    const refused = () =>
      Object.assign(new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), {
        code: 'ECONNREFUSED',
      });

    it.each([
      ['a refused connection', refused()],
      ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
      [
        'a server shutting down (57P01)',
        withCode('terminating connection due to administrator command', '57P01'),
      ],
      ['a server starting up (57P03)', withCode('the database system is starting up', '57P03')],
      ['a connection exception (08006)', withCode('connection failure', '08006')],
      ['a connection that ended', new Error('Connection terminated unexpectedly')],
      ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ])('answers %s with a 503 and Retry-After in the contract shape', (_case, cause) => {
      expect(answer(answerTo(failedQuery(cause)))).toEqual({
        status: 503,
        headers: { 'retry-after': '5' },
        body: {
          statusCode: 503,
          message: 'The database is unavailable; try again shortly',
          error: 'Service Unavailable',
        },
      });
      expect(logged).not.toHaveBeenCalled();
    });

    it('warns once per outage, naming the driver error and leaving the query out', () => {
      const filter = new HttpExceptionFilter();
      const request: FakeRequest = { method: 'GET', routeOptions: { url: '/users/me' }, headers: {} };
      for (let i = 0; i < 3; i++) {
        filter.catch(failedQuery(refused()), new ExecutionContextHost([request, new RecordedReply()]));
      }
      expect(warned.mock.calls).toEqual([
        ['The database is unavailable (ECONNREFUSED); answering 503 until it is back'],
      ]);
      expect(logged).not.toHaveBeenCalled();
    });

    it('treats a query the database refused as unexpected: a 500, logged', () => {
      expect(answerTo(failedQuery(withCode('relation "users" does not exist', '42P01'))).statusCode).toBe(
        500,
      );
      expect(logged).toHaveBeenCalledTimes(1);
      expect(warned).not.toHaveBeenCalled();
    });
  });
});
