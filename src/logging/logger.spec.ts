import { createLogger, requestLineWriter } from './logger';
import { REDACTED } from './redaction';

/** The lines a logger of these settings writes, each parsed (json) or as written (pretty). */
function loggerWritingTo(format: 'json' | 'pretty', level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger(
    { format, level, isBuffered: false },
    { write: (line: string) => void lines.push(line) },
  );
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time and the level by name', () => {
    const { logger, parsed } = loggerWritingTo('json');
    logger.info({ context: 'Bootstrap' }, 'Listening');
    expect(parsed()).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        pid: process.pid,
        hostname: expect.any(String),
        context: 'Bootstrap',
        msg: 'Listening',
      },
    ]);
  });

  it('writes one readable line in the pretty format, with the context before the message', () => {
    const { logger, lines } = loggerWritingTo('pretty');
    logger.warn({ context: 'Secrets', kid: 'k1' }, 'Key generated');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] .*WARN.* \(\d+\): .*\[Secrets\] Key generated.*"kid":"k1"/,
    );
    expect(lines[0]!.trimEnd().split('\n')).toHaveLength(1);
  });

  it('keeps what follows the message, which pino would drop without a placeholder', () => {
    const { logger, parsed } = loggerWritingTo('json');
    logger.error({ context: 'ExceptionFilter' }, 'Unhandled error on GET /x', "{ reason: 'thrown object' }");
    logger.info('%d requests', 3);
    expect(parsed().map((line) => line.msg)).toEqual([
      "Unhandled error on GET /x\n{ reason: 'thrown object' }",
      '3 requests',
    ]);
  });

  it('writes nothing below LOG_LEVEL', () => {
    const { logger, lines } = loggerWritingTo('json', 'warn');
    logger.info('not written');
    logger.warn('written');
    expect(lines).toHaveLength(1);
  });

  // Each place a secret can sit in a logged object, and a field where the censor must stand instead. Every secret
  // value ends in -<digits>, which is how the test finds them in the line.
  it.each([
    ['a password merged into the line', { password: 'pw-secret-1' }, ['password']],
    [
      'a current and a new password',
      { currentPassword: 'pw-old-2', newPassword: 'pw-new-3' },
      ['newPassword'],
    ],
    ['a one-time code and an otp', { code: 'code-424242', otp: 'otp-171717' }, ['otp']],
    [
      'tokens by their OAuth names',
      { access_token: 'at-4', refresh_token: 'rt-5', id_token: 'it-6' },
      ['id_token'],
    ],
    ['an MFA token and a client secret', { mfa_token: 'mt-7', client_secret: 'cs-8' }, ['client_secret']],
    ['a token and recovery codes', { token: 't-9', recoveryCodes: ['rc-10', 'rc-11'] }, ['recoveryCodes']],
    [
      'a second-factor secret',
      { secret: 'totp-secret-12', otpauthUri: 'otpauth://totp/x?secret=totp-secret-12' },
      ['secret'],
    ],
    [
      'an Authorization and a cookie at the top',
      { authorization: 'Bearer top-13', cookie: 'sid=top-14' },
      ['cookie'],
    ],
    [
      'request headers',
      { req: { headers: { authorization: 'Basic req-15', cookie: 'sid=req-16' } } },
      ['req', 'headers', 'authorization'],
    ],
    [
      'a response cookie',
      { res: { headers: { 'set-cookie': 'sid=res-17' } } },
      ['res', 'headers', 'set-cookie'],
    ],
    [
      "an audit event's details",
      { audit: { details: { code: 'audit-18', password: 'audit-19' } } },
      ['audit', 'details', 'code'],
    ],
  ])('redacts %s', (_what, fields: object, censoredAt: string[]) => {
    const { logger, lines, parsed } = loggerWritingTo('json');
    logger.info(fields, 'a line with secrets');
    const secrets = JSON.stringify(fields).match(/[a-z]+-?[a-z]*-\d+/g) ?? [];
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.filter((secret) => lines.join('').includes(secret))).toEqual([]);
    const censored = censoredAt.reduce<unknown>(
      (at, key) => (at as Record<string, unknown>)[key],
      parsed()[0],
    );
    expect(censored).toBe(REDACTED);
  });

  it('keeps the fields around a secret', () => {
    const { logger, parsed } = loggerWritingTo('json');
    logger.info({
      req: { headers: { authorization: 'Bearer x', host: 'example.com' } },
      audit: { details: { sid: 's1', code: '1' } },
    });
    expect(parsed()[0]).toMatchObject({
      req: { headers: { authorization: REDACTED, host: 'example.com' } },
      audit: { details: { sid: 's1', code: REDACTED } },
    });
  });
});

describe('requestLineWriter', () => {
  const line = { reqId: 'abc-1', method: 'GET', route: '/users/me/"x"', status: 200, responseTimeMs: 0.52 };

  it('writes, as JSON, the line pino writes for the same fields', () => {
    const written = loggerWritingTo('json');
    requestLineWriter(written.logger, 'json')(line);
    written.logger.info(line, 'request completed');
    const [fast, pinos] = written.parsed();
    expect({ ...fast, time: undefined }).toEqual({ ...pinos, time: undefined });
    expect(Object.keys(fast!)).toEqual(Object.keys(pinos!));
    expect(Date.parse(fast!.time as string)).not.toBeNaN();
  });

  it('writes a 5xx as a warning, and nothing below the level', () => {
    const written = loggerWritingTo('json', 'warn');
    const write = requestLineWriter(written.logger, 'json');
    write(line);
    write({ ...line, status: 503 });
    expect(written.parsed()).toEqual([expect.objectContaining({ level: 'warn', status: 503 })]);
  });
});
