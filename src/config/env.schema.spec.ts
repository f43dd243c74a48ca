import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateEnv, type Env } from './env.schema';

const DEFAULTS: Env = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  PORT: 3000,
  BODY_LIMIT: 102_400,
  DATA_DIR: './data',
  JWT_ALGORITHM: 'HS256',
  JWT_ISSUER: 'http://localhost:3000',
  JWT_AUDIENCE: 'nest-auth-service',
  JWT_CLIENT_ID: 'nest-auth-service-client',
  ACCESS_TOKEN_TTL: 900,
  REFRESH_TOKEN_TTL: 604_800,
  SESSION_MAX_LIFETIME: 2_592_000,
  REFRESH_REUSE_GRACE_SECONDS: 10,
  AUTH_CACHE_TTL_SECONDS: 60,
  AUTH_NOTICE_HEARTBEAT_MS: 3000,
  SHUTDOWN_DRAIN_SECONDS: 5,
  SHUTDOWN_TIMEOUT_SECONDS: 25,
  PASSWORD_HASH: 'bcrypt',
  BCRYPT_COST: 12,
  PASSWORD_HASH_CONCURRENCY: 0,
  PASSWORD_MIN_SCORE: 3,
  PWNED_PASSWORDS_TIMEOUT_MS: 1500,
  RATE_LIMIT_PER_MINUTE: 600,
  AUTH_RATE_LIMIT_PER_MINUTE: 20,
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: 30,
  LOCKOUT_THRESHOLD: 5,
  LOCKOUT_BASE_SECONDS: 60,
  LOCKOUT_MAX_SECONDS: 900,
  ALLOW_REGISTRATION: true,
  METRICS_PUBLIC: false,
  ADMIN_USERNAME: 'admin',
  ADMIN_EMAIL: 'admin@example.com',
};

/** The variables .env.example sets, as ConfigModule would read them from a copy of it. */
function readEnvExample(): Record<string, string> {
  const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const separator = line.indexOf('=');
      return [line.slice(0, separator), line.slice(separator + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** The variables a refused environment's error names, in order. */
function namedVariables(raw: Record<string, string>): string[] {
  let message: string;
  try {
    validateEnv(raw);
    return [];
  } catch (error) {
    if (!(error instanceof Error)) {
      throw error;
    }
    message = error.message;
  }
  const [title, ...problems] = message.split('\n');
  expect(title).toBe('Invalid environment:');
  return problems.map((line) => /^ {2}([A-Z_]+): \S/.exec(line)?.[1] ?? `unexpected line: ${line}`);
}

// As `openssl rand -base64 48` writes them.
const STRONG_SECRET = '/iuc8g36W6gSV/GGBVtz5HH4A9EKytHMatfBSVDr7fwJH3nMqgTtwMLrVvfrNirt';

describe('validateEnv', () => {
  it('gives every variable its default when none is set', () => {
    expect(validateEnv({})).toEqual(DEFAULTS);
  });

  it('has the defaults that .env.example lists', () => {
    const example = readEnvExample();
    expect(Object.keys(example).sort()).toEqual(
      [
        ...Object.keys(DEFAULTS),
        'DATABASE_URL',
        'JWT_SECRET',
        'ADMIN_PASSWORD',
        'PWNED_PASSWORDS_URL',
        'REDIS_URL',
        'TRUST_PROXY',
        'CORS_ORIGINS',
        'JWT_PRIVATE_KEY_FILE',
        'JWT_PREVIOUS_PUBLIC_KEY_FILE',
        'INTROSPECTION_CLIENTS',
        'METRICS_TOKEN',
        'SWAGGER_ENABLED',
      ].sort(),
    );
    expect(validateEnv(example)).toEqual(DEFAULTS);
  });

  it('takes an empty variable to mean its default', () => {
    const empty = Object.fromEntries(Object.keys(readEnvExample()).map((name) => [name, '']));
    expect(validateEnv(empty)).toEqual(DEFAULTS);
  });

  it('ignores variables it does not know', () => {
    expect(validateEnv({ PATH: '/usr/bin', HOME: '/root' })).toEqual(DEFAULTS);
  });

  it('reads set values into their types', () => {
    expect(
      validateEnv({
        NODE_ENV: 'test',
        PORT: '8080',
        DATABASE_URL: 'postgresql://auth@db/auth',
        ACCESS_TOKEN_TTL: '300',
        REFRESH_TOKEN_TTL: '12h',
        BCRYPT_COST: '4',
        ALLOW_REGISTRATION: 'false',
        ADMIN_USERNAME: 'root.admin',
        ADMIN_PASSWORD: 'correct horse battery staple',
      }),
    ).toEqual({
      ...DEFAULTS,
      NODE_ENV: 'test',
      PORT: 8080,
      DATABASE_URL: 'postgresql://auth@db/auth',
      ACCESS_TOKEN_TTL: 300,
      REFRESH_TOKEN_TTL: 43_200,
      BCRYPT_COST: 4,
      ALLOW_REGISTRATION: false,
      ADMIN_USERNAME: 'root.admin',
      ADMIN_PASSWORD: 'correct horse battery staple',
    });
  });

  it.each([
    ['NODE_ENV', 'staging'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', 'http'],
    ['BODY_LIMIT', '1023'],
    ['DATABASE_URL', 'mysql://db/auth'],
    ['TRUST_PROXY', '0.0.0.0/0'],
    ['TRUST_PROXY', '::/0'],
    ['TRUST_PROXY', '::ffff:0:0/96'],
    ['TRUST_PROXY', '::ffff:0.0.0.0/96'],
    ['TRUST_PROXY', '0:0:0:0:0:ffff:0:0/96'],
    ['TRUST_PROXY', '::ffff:128.0.0.0/97'],
    ['TRUST_PROXY', '::ffff:10.0.0.0/103'],
    ['TRUST_PROXY', '::/96'],
    ['TRUST_PROXY', '::0.0.0.0/100'],
    ['TRUST_PROXY', '::/16'],
    ['TRUST_PROXY', '::/80'],
    ['TRUST_PROXY', '10.0.0.1, ::ffff:0:0/96'],
    ['TRUST_PROXY', '99'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', 'proxy.example.com'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.com,*'],
    ['CORS_ORIGINS', 'https://*.example.com'],
    ['CORS_ORIGINS', 'null'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'https://app.example.com/'],
    ['JWT_ALGORITHM', 'none'],
    ['INTROSPECTION_CLIENTS', 'no-secret'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_TTL', '0'],
    ['REFRESH_TOKEN_TTL', '1w'],
    ['REFRESH_REUSE_GRACE_SECONDS', '301'],
    ['BCRYPT_COST', 'abc'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', '32'],
    ['BCRYPT_COST', '12.5'],
    ['AUTH_CACHE_TTL_SECONDS', '-1'],
    ['PASSWORD_HASH_CONCURRENCY', 'many'],
    ['ALLOW_REGISTRATION', 'maybe'],
    ['ADMIN_USERNAME', 'the admin'],
    ['ADMIN_USERNAME', 'аdmin'],
    ['ADMIN_EMAIL', 'admin'],
    ['ADMIN_PASSWORD', 'short'],
    ['ADMIN_PASSWORD', 'x'.repeat(73)],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    expect(namedVariables({ [name]: value })).toEqual([name]);
  });

  it('names every bad variable at once', () => {
    expect(namedVariables({ PORT: '70000', BCRYPT_COST: 'abc' })).toEqual(['PORT', 'BCRYPT_COST']);
  });

  it('throws an Error', () => {
    expect(() => validateEnv({ PORT: '70000' })).toThrow(Error);
  });

  describe('in production', () => {
    // What production needs besides the signing secret.
    const PRODUCTION = {
      NODE_ENV: 'production',
      JWT_ISSUER: 'https://auth.example.com',
      METRICS_TOKEN: 'metrics-token-for-prometheus',
    } as const;

    it.each([
      ['missing', {}],
      ['empty', { JWT_SECRET: '' }],
      ['31 bytes long', { JWT_SECRET: 'x'.repeat(31) }],
      ['31 bytes in 16 characters', { JWT_SECRET: 'é'.repeat(15) + 'x' }],
    ])('refuses a JWT_SECRET that is %s', (_case, secret) => {
      expect(namedVariables({ ...PRODUCTION, ...secret })).toEqual(['JWT_SECRET']);
    });

    it.each([
      ['openssl rand -base64 48', STRONG_SECRET],
      ['32 distinct two-byte characters', 'мизущчъбаедргькюлхспояжтыэйшвнцф'],
    ])('accepts a JWT_SECRET of %s', (_case, secret) => {
      expect(validateEnv({ ...PRODUCTION, JWT_SECRET: secret })).toEqual({
        ...DEFAULTS,
        ...PRODUCTION,
        JWT_SECRET: secret,
      });
    });

    it.each([
      ['one character, repeated', 'a'.repeat(32)],
      ['two characters, repeated', 'ab'.repeat(16)],
      ['a run of digits, repeated', '0123456789'.repeat(4)],
      ['the alphabet', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'],
      ['a word, repeated', 'changeme-'.repeat(4)],
      ['few characters, in blocks', 'aaaabbbbccccddddeeeeffffgggghhhh'],
    ])('refuses a JWT_SECRET of %s, however long, naming only the variable', (_case, secret) => {
      let message = '';
      try {
        validateEnv({ ...PRODUCTION, JWT_SECRET: secret });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Invalid environment:\n {2}JWT_SECRET: is too easy to guess/);
      expect(message).not.toContain(secret);
    });

    // 2,000 of each: the rule's score for random secrets falls off by some 5 bits per tenfold rarer sample.
    it.each([
      ['openssl rand -hex 16', () => randomBytes(16).toString('hex')],
      ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
      ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
      ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
    ])('accepts every JWT_SECRET made by %s', (_case, generate) => {
      const refused = Array.from({ length: 2000 }, generate).filter(
        (secret) => namedVariables({ ...PRODUCTION, JWT_SECRET: secret }).length > 0,
      );
      expect(refused).toEqual([]);
    });

    it.each([
      ['31 characters', `orders-api:${randomBytes(16).toString('hex').slice(0, 31)}`],
      ['32 of one character', `orders-api:${'a'.repeat(32)}`],
      ['a run of digits, repeated', `orders-api:${'0123456789'.repeat(4)}`],
      ['two characters, repeated', `orders-api:${'ab'.repeat(16)}`],
      ['a short one after a good one', `billing:${randomBytes(32).toString('hex')},orders-api:secret`],
    ])('refuses an INTROSPECTION_CLIENTS secret of %s', (_case, clients) => {
      expect(
        namedVariables({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, INTROSPECTION_CLIENTS: clients }),
      ).toEqual(['INTROSPECTION_CLIENTS']);
    });

    it.each([
      ['openssl rand -hex 16', () => randomBytes(16).toString('hex')],
      ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
      ['openssl rand -base64 24', () => randomBytes(24).toString('base64')],
      ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ])('accepts every INTROSPECTION_CLIENTS secret made by %s', (_case, generate) => {
      const refused = Array.from({ length: 2000 }, generate).filter(
        (secret) =>
          namedVariables({
            ...PRODUCTION,
            JWT_SECRET: STRONG_SECRET,
            INTROSPECTION_CLIENTS: `orders-api:${secret}`,
          }).length > 0,
      );
      expect(refused).toEqual([]);
    });

    it('accepts INTROSPECTION_CLIENTS secrets of 32 random characters', () => {
      const clients = `orders-api:${randomBytes(16).toString('hex')}, billing:${randomBytes(24).toString('base64')}`;
      expect(
        validateEnv({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, INTROSPECTION_CLIENTS: clients })
          .INTROSPECTION_CLIENTS,
      ).toBe(clients);
    });

    it('names all it needs at once: the secret, the metrics token and the issuer', () => {
      expect(namedVariables({ NODE_ENV: 'production' })).toEqual([
        'JWT_SECRET',
        'METRICS_TOKEN',
        'JWT_ISSUER',
      ]);
    });

    it('refuses to serve /metrics to anyone unless METRICS_PUBLIC=true says so', () => {
      const { METRICS_TOKEN: _token, ...withoutToken } = PRODUCTION;
      expect(namedVariables({ ...withoutToken, JWT_SECRET: STRONG_SECRET })).toEqual(['METRICS_TOKEN']);
      expect(namedVariables({ ...withoutToken, JWT_SECRET: STRONG_SECRET, METRICS_PUBLIC: 'false' })).toEqual(
        ['METRICS_TOKEN'],
      );
      expect(validateEnv({ ...withoutToken, JWT_SECRET: STRONG_SECRET, METRICS_PUBLIC: 'true' })).toEqual({
        ...DEFAULTS,
        ...withoutToken,
        JWT_SECRET: STRONG_SECRET,
        METRICS_PUBLIC: true,
      });
    });

    it('refuses the development JWT_ISSUER default: tokens would name http://localhost:3000', () => {
      const { JWT_ISSUER: _issuer, ...withoutIssuer } = PRODUCTION;
      expect(namedVariables({ ...withoutIssuer, JWT_SECRET: STRONG_SECRET })).toEqual(['JWT_ISSUER']);
    });
  });

  it.each([
    '127.0.0.1',
    '10.0.0.0/8, 192.168.1.1',
    'loopback',
    '2',
    '2001:db8::/32',
    '::1',
    '::ffff:10.0.0.0/104',
    '::ffff:192.168.1.1',
    '::ffff:0:0/128',
    '64:ff9b::/96',
    '::1:0:0:0/96',
  ])('accepts TRUST_PROXY=%s', (setting) => {
    expect(validateEnv({ TRUST_PROXY: setting }).TRUST_PROXY).toBe(setting);
  });

  it.each(['https://app.example.com', 'https://app.example.com, http://localhost:5173', 'app://desktop'])(
    'accepts CORS_ORIGINS=%s',
    (origins) => {
      expect(validateEnv({ CORS_ORIGINS: origins }).CORS_ORIGINS).toBe(origins);
    },
  );

  it.each(['development', 'test'])('lets %s start without a JWT_SECRET', (nodeEnv) => {
    expect(validateEnv({ NODE_ENV: nodeEnv })).toEqual({ ...DEFAULTS, NODE_ENV: nodeEnv });
  });

  it('accepts a short JWT_SECRET outside production', () => {
    expect(validateEnv({ JWT_SECRET: 'dev' })).toEqual({ ...DEFAULTS, JWT_SECRET: 'dev' });
  });
});
