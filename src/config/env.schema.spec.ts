import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config';
import { envSchema, validateEnv } from './env.schema';

const DEFAULTS: Config = {
  isProduction: false,
  dataDir: './data',
  http: {
    host: '127.0.0.1',
    port: 3000,
    bodyLimitBytes: 102_400,
    corsOrigins: [],
    isSwaggerEnabled: true,
    shutdownDrainSeconds: 5,
    shutdownTimeoutSeconds: 25,
  },
  cluster: { workers: availableParallelism() },
  database: { noticeHeartbeatMs: 3000 },
  jwt: {
    algorithm: 'HS256',
    issuer: 'http://localhost:3000',
    audience: 'nest-auth-service',
    clientId: 'nest-auth-service-client',
    accessTokenTtlSeconds: 900,
  },
  dataEncryption: { previousKeys: [] },
  sessions: { refreshTokenTtlSeconds: 604_800, maxLifetimeSeconds: 2_592_000, reuseGraceSeconds: 10 },
  retention: { sessionDays: 30, outboxDays: 7, auditDays: 365, purgeIntervalSeconds: 3600 },
  stepUp: { maxAgeSeconds: 300 },
  webAuthn: { rpId: 'localhost', rpName: 'nest-auth-service', origins: ['http://localhost:3000'] },
  authCache: { ttlSeconds: 60 },
  passwords: {
    algorithm: 'bcrypt',
    bcryptCost: 12,
    hashConcurrency: availableParallelism(),
    minScore: 3,
    pwnedPasswordsTimeoutMs: 1500,
  },
  rateLimits: {
    requestsPerAddressPerMinute: 600,
    authRequestsPerAddressPerMinute: 20,
    passwordChecksPerAccountPerHour: 30,
    accountBlockSeconds: 900,
  },
  lockout: { threshold: 5, baseSeconds: 60, maxSeconds: 900 },
  registration: { isOpen: true, requiresVerifiedEmail: false },
  bootstrapAdmin: { username: 'admin', email: 'admin@example.com' },
  metrics: {},
  logging: { format: 'pretty', level: 'info', isBuffered: true },
  introspection: { clients: [] },
  mail: {
    isEnabled: true,
    from: '"nest-auth-service" <no-reply@localhost>',
    appName: 'nest-auth-service',
    appUrl: 'http://localhost:3000',
    maxAttempts: 10,
    passwordResetTtlSeconds: 3600,
    emailVerificationTtlSeconds: 86400,
    mailboxDir: 'data/mail',
  },
};

const configOf = (raw: Record<string, string>): Config => validateEnv(raw);

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
// As `openssl rand -base64 32` writes them.
const DATA_KEY = 'q3JmMeB4gJ0Yb8XHnk2vZ3kq6F1cQ0w+VtQv1D0m/7A=';
const DATA_KEY_BYTES = Buffer.from(DATA_KEY, 'base64');

describe('validateEnv', () => {
  it('gives every variable its default when none is set', () => {
    expect(configOf({})).toEqual(DEFAULTS);
  });

  it('has the defaults that .env.example lists', () => {
    const example = readEnvExample();
    expect(Object.keys(example).sort()).toEqual(Object.keys(envSchema.in.shape).sort());
    expect(configOf(example)).toEqual(DEFAULTS);
  });

  it('takes an empty variable to mean its default', () => {
    const empty = Object.fromEntries(Object.keys(readEnvExample()).map((name) => [name, '']));
    expect(configOf(empty)).toEqual(DEFAULTS);
  });

  it('ignores variables it does not know', () => {
    const env = validateEnv({ PATH: '/usr/bin', HOME: '/root' });
    expect(env).not.toHaveProperty('PATH');
    expect(env).not.toHaveProperty('HOME');
    expect(configOf({ PATH: '/usr/bin', HOME: '/root' })).toEqual(DEFAULTS);
  });

  it('reads set values into their types', () => {
    expect(
      configOf({
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
      http: { ...DEFAULTS.http, port: 8080 },
      database: { ...DEFAULTS.database, url: 'postgresql://auth@db/auth' },
      jwt: { ...DEFAULTS.jwt, accessTokenTtlSeconds: 300 },
      sessions: { ...DEFAULTS.sessions, refreshTokenTtlSeconds: 43_200 },
      passwords: { ...DEFAULTS.passwords, bcryptCost: 4 },
      registration: { isOpen: false, requiresVerifiedEmail: false },
      // Under NODE_ENV=test the lines go straight to process.stdout, where tests read them.
      logging: { ...DEFAULTS.logging, isBuffered: false },
      bootstrapAdmin: {
        username: 'root.admin',
        email: 'admin@example.com',
        password: 'correct horse battery staple',
      },
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
    ['MAIL_ENABLED', 'maybe'],
    ['SMTP_URL', 'mail.example.com'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['SMTP_URL', 'smtp://'],
    ['SMTP_URL', 'smtp://mail.example.com/inbox'],
    ['SMTP_URL', 'smtp://mail.example.com?ignoreTLS=yes'],
    ['SMTP_URL', 'smtp://mail.example.com?pool=true'],
    ['SMTP_URL', 'smtp://mail.example.com?sendmail=true'],
    ['SMTP_URL', 'smtp://mail.example.com?streamTransport=true'],
    ['MAIL_FROM', 'no-reply'],
    ['MAIL_FROM', '"Example" <no-reply>'],
    ['MAIL_FROM', 'no-reply@example.com\r\nBcc: someone@example.com'],
    ['MAIL_FROM', 'no reply@example.com'],
    ['APP_NAME', 'Example\nBcc: someone@example.com'],
    ['APP_NAME', 'x'.repeat(101)],
    ['APP_URL', 'app.example.com'],
    ['APP_URL', 'ftp://app.example.com'],
    ['APP_URL', 'https://app.example.com/?from=mail'],
    ['APP_URL', 'https://app.example.com/#/'],
    ['APP_URL', 'https://app.example.com/?'],
    ['APP_URL', 'https://user:pass@app.example.com'],
    ['MAIL_MAX_ATTEMPTS', '0'],
    ['MAIL_MAX_ATTEMPTS', '101'],
    ['PASSWORD_RESET_TTL', 'soon'],
    ['PASSWORD_RESET_TTL', '0'],
    ['PASSWORD_RESET_TTL', '25h'],
    ['PASSWORD_RESET_TTL', '2d'],
    ['PASSWORD_RESET_TTL', '86401'],
    ['EMAIL_VERIFICATION_TTL', '8d'],
    ['EMAIL_VERIFICATION_TTL', '0'],
    ['DATA_ENCRYPTION_KEY', randomBytes(16).toString('base64')],
    ['DATA_ENCRYPTION_KEY', randomBytes(33).toString('base64')],
    ['DATA_ENCRYPTION_KEY', randomBytes(32).toString('hex')],
    ['DATA_ENCRYPTION_KEY', `${DATA_KEY.slice(0, 20)}!${DATA_KEY.slice(21)}`],
    ['DATA_ENCRYPTION_KEY', `${DATA_KEY.slice(0, 22)} ${DATA_KEY.slice(22)}`],
    ['DATA_ENCRYPTION_PREVIOUS_KEYS', randomBytes(16).toString('base64')],
    ['DATA_ENCRYPTION_PREVIOUS_KEYS', `${DATA_KEY},secret`],
    ['STEP_UP_MAX_AGE_SECONDS', '29'],
    ['STEP_UP_MAX_AGE_SECONDS', '86401'],
    ['STEP_UP_MAX_AGE_SECONDS', '5m'],
    ['REQUIRE_EMAIL_VERIFICATION', 'yes please'],
    ['LOG_FORMAT', 'text'],
    ['LOG_LEVEL', 'verbose'],
    ['SESSION_RETENTION_DAYS', '0'],
    ['SESSION_RETENTION_DAYS', '30d'],
    ['OUTBOX_RETENTION_DAYS', '3651'],
    ['AUDIT_RETENTION_DAYS', '-1'],
    ['PURGE_INTERVAL', 'hourly'],
    ['PURGE_INTERVAL', '59'],
    ['PURGE_INTERVAL', '8d'],
    ['PURGE_INTERVAL', '30d'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    expect(namedVariables({ [name]: value })).toEqual([name]);
  });

  it('refuses REQUIRE_EMAIL_VERIFICATION without mail: no one could verify, so no one could sign in', () => {
    expect(namedVariables({ REQUIRE_EMAIL_VERIFICATION: 'true', MAIL_ENABLED: 'false' })).toEqual([
      'REQUIRE_EMAIL_VERIFICATION',
    ]);
    expect(validateEnv({ REQUIRE_EMAIL_VERIFICATION: 'true' }).registration.requiresVerifiedEmail).toBe(true);
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
      DATA_ENCRYPTION_KEY: DATA_KEY,
      JWT_ISSUER: 'https://auth.example.com',
      METRICS_TOKEN: 'metrics-token-for-prometheus',
      SMTP_URL: 'smtps://auth:mail-password@mail.example.com',
      APP_URL: 'https://app.example.com',
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_ORIGINS: 'https://app.example.com',
    } as const;
    const PRODUCTION_CONFIG: Config = {
      ...DEFAULTS,
      isProduction: true,
      http: { ...DEFAULTS.http, isSwaggerEnabled: false },
      jwt: { ...DEFAULTS.jwt, issuer: 'https://auth.example.com' },
      dataEncryption: { key: DATA_KEY_BYTES, previousKeys: [] },
      metrics: { token: 'metrics-token-for-prometheus' },
      webAuthn: { rpId: 'example.com', rpName: 'nest-auth-service', origins: ['https://app.example.com'] },
      logging: { format: 'json', level: 'info', isBuffered: true },
      mail: {
        ...DEFAULTS.mail,
        smtpUrl: 'smtps://auth:mail-password@mail.example.com',
        appUrl: 'https://app.example.com',
        mailboxDir: undefined,
      },
    };

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
      expect(configOf({ ...PRODUCTION, JWT_SECRET: secret })).toEqual({
        ...PRODUCTION_CONFIG,
        jwt: { ...PRODUCTION_CONFIG.jwt, secret },
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
      const [orders, billing] = [randomBytes(16).toString('hex'), randomBytes(24).toString('base64')];
      const clients = `orders-api:${orders}, billing:${billing}`;
      expect(
        configOf({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, INTROSPECTION_CLIENTS: clients }).introspection,
      ).toEqual({
        clients: [
          { id: 'orders-api', secret: orders },
          { id: 'billing', secret: billing },
        ],
      });
    });

    it('names all it needs at once: the secret, the data key, the metrics token, the issuer, the relying party of passkeys, the mail server and the app', () => {
      expect(namedVariables({ NODE_ENV: 'production' })).toEqual([
        'JWT_SECRET',
        'DATA_ENCRYPTION_KEY',
        'METRICS_TOKEN',
        'JWT_ISSUER',
        'WEBAUTHN_RP_ID',
        'WEBAUTHN_ORIGINS',
        'SMTP_URL',
        'APP_URL',
      ]);
    });

    it.each(['SMTP_URL', 'APP_URL'] as const)('refuses to send mail without %s, naming it', (name) => {
      const { [name]: _missing, ...without } = PRODUCTION;
      let message = '';
      try {
        validateEnv({ ...without, JWT_SECRET: STRONG_SECRET });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(
        new RegExp(
          `^Invalid environment:\\n {2}${name}: is required in production, unless MAIL_ENABLED=false`,
        ),
      );
      expect(namedVariables({ ...without, JWT_SECRET: STRONG_SECRET, MAIL_ENABLED: 'true' })).toEqual([name]);
    });

    it('starts without SMTP_URL and APP_URL when MAIL_ENABLED=false, with no mailbox folder', () => {
      const { SMTP_URL: _url, APP_URL: _app, ...withoutMail } = PRODUCTION;
      expect(configOf({ ...withoutMail, JWT_SECRET: STRONG_SECRET, MAIL_ENABLED: 'false' })).toEqual({
        ...PRODUCTION_CONFIG,
        jwt: { ...PRODUCTION_CONFIG.jwt, secret: STRONG_SECRET },
        mail: { ...DEFAULTS.mail, isEnabled: false, mailboxDir: undefined },
      });
    });

    it('names a bad SMTP_URL without repeating it, for it holds a password', () => {
      const url = 'smtp://auth:mail-password@mail.example.com/inbox';
      let message = '';
      try {
        validateEnv({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, SMTP_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Invalid environment:\n {2}SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect(message).not.toContain('mail-password');
    });

    it('refuses to serve /metrics to anyone unless METRICS_PUBLIC=true says so', () => {
      const { METRICS_TOKEN: _token, ...withoutToken } = PRODUCTION;
      expect(namedVariables({ ...withoutToken, JWT_SECRET: STRONG_SECRET })).toEqual(['METRICS_TOKEN']);
      expect(namedVariables({ ...withoutToken, JWT_SECRET: STRONG_SECRET, METRICS_PUBLIC: 'false' })).toEqual(
        ['METRICS_TOKEN'],
      );
      expect(configOf({ ...withoutToken, JWT_SECRET: STRONG_SECRET, METRICS_PUBLIC: 'true' })).toEqual({
        ...PRODUCTION_CONFIG,
        jwt: { ...PRODUCTION_CONFIG.jwt, secret: STRONG_SECRET },
        metrics: {},
      });
    });

    it('refuses the development JWT_ISSUER default: tokens would name http://localhost:3000', () => {
      const { JWT_ISSUER: _issuer, ...withoutIssuer } = PRODUCTION;
      expect(namedVariables({ ...withoutIssuer, JWT_SECRET: STRONG_SECRET })).toEqual(['JWT_ISSUER']);
    });

    it('refuses to start without DATA_ENCRYPTION_KEY, naming it and how to make one', () => {
      const { DATA_ENCRYPTION_KEY: _key, ...withoutKey } = PRODUCTION;
      expect(() => validateEnv({ ...withoutKey, JWT_SECRET: STRONG_SECRET })).toThrow(
        new Error(
          'Invalid environment:\n  DATA_ENCRYPTION_KEY: is required in production (try: openssl rand -base64 32)',
        ),
      );
    });

    it('refuses a DATA_ENCRYPTION_KEY of 16 bytes once, without repeating it', () => {
      const key = randomBytes(16).toString('base64');
      let message = '';
      try {
        validateEnv({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, DATA_ENCRYPTION_KEY: key });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'Invalid environment:\n  DATA_ENCRYPTION_KEY: must be 32 bytes in base64 (try: openssl rand -base64 32)',
      );
      expect(message).not.toContain(key);
    });
  });

  it.each<[string, Config['http']['trustProxy']]>([
    ['127.0.0.1', { addresses: ['127.0.0.1'] }],
    ['10.0.0.0/8, 192.168.1.1', { addresses: ['10.0.0.0/8', '192.168.1.1'] }],
    ['loopback', { addresses: ['loopback'] }],
    ['2', { hops: 2 }],
    [' 3 ', { hops: 3 }],
    ['2001:db8::/32', { addresses: ['2001:db8::/32'] }],
    ['::1', { addresses: ['::1'] }],
    ['::ffff:10.0.0.0/104', { addresses: ['::ffff:10.0.0.0/104'] }],
    ['::ffff:192.168.1.1', { addresses: ['::ffff:192.168.1.1'] }],
    ['::ffff:0:0/128', { addresses: ['::ffff:0:0/128'] }],
    ['64:ff9b::/96', { addresses: ['64:ff9b::/96'] }],
    ['::1:0:0:0/96', { addresses: ['::1:0:0:0/96'] }],
  ])('accepts TRUST_PROXY=%j, read as %j', (setting, trustProxy) => {
    expect(configOf({ TRUST_PROXY: setting }).http.trustProxy).toEqual(trustProxy);
  });

  it.each([
    ['https://app.example.com', ['https://app.example.com']],
    ['https://app.example.com, http://localhost:5173', ['https://app.example.com', 'http://localhost:5173']],
    ['app://desktop', ['app://desktop']],
    [' https://a.example.com, ,https://b.example.com,', ['https://a.example.com', 'https://b.example.com']],
  ])('accepts CORS_ORIGINS=%j, read as %j', (origins, corsOrigins) => {
    expect(configOf({ CORS_ORIGINS: origins }).http.corsOrigins).toEqual(corsOrigins);
  });

  it.each(['development', 'test'])('lets %s start without a JWT_SECRET', (nodeEnv) => {
    expect(configOf({ NODE_ENV: nodeEnv })).toEqual({
      ...DEFAULTS,
      logging: { ...DEFAULTS.logging, isBuffered: nodeEnv !== 'test' },
    });
  });

  describe('data encryption keys', () => {
    // Bytes whose base64 holds both + and /, which base64url writes - and _.
    const key = Buffer.from('fbff'.repeat(16), 'hex');

    it.each([
      ['base64', key.toString('base64')],
      ['base64 without its padding', key.toString('base64').replace(/=+$/, '')],
      ['base64url', key.toString('base64url')],
      ['base64url with padding', `${key.toString('base64url')}=`],
      ['base64 among spaces', ` ${key.toString('base64')} `],
    ])('reads a DATA_ENCRYPTION_KEY in %s into its 32 bytes', (_case, setting) => {
      expect(key.toString('base64')).toMatch(/\+.*\/|\/.*\+/);
      expect(configOf({ DATA_ENCRYPTION_KEY: setting }).dataEncryption).toEqual({ key, previousKeys: [] });
    });

    it('lets development start without DATA_ENCRYPTION_KEY', () => {
      expect(configOf({}).dataEncryption).toEqual({ previousKeys: [] });
    });

    it('reads DATA_ENCRYPTION_PREVIOUS_KEYS, comma-separated, in either alphabet', () => {
      const [first, second] = [randomBytes(32), randomBytes(32)];
      expect(
        configOf({
          DATA_ENCRYPTION_KEY: DATA_KEY,
          DATA_ENCRYPTION_PREVIOUS_KEYS: ` ${first.toString('base64')}, ${second.toString('base64url')} ,`,
        }).dataEncryption,
      ).toEqual({ key: DATA_KEY_BYTES, previousKeys: [first, second] });
    });

    it('names which of DATA_ENCRYPTION_PREVIOUS_KEYS is wrong, without repeating any', () => {
      const [good, short] = [randomBytes(32).toString('base64'), randomBytes(16).toString('base64')];
      let message = '';
      try {
        validateEnv({ DATA_ENCRYPTION_PREVIOUS_KEYS: `${good},${short}` });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'Invalid environment:\n  DATA_ENCRYPTION_PREVIOUS_KEYS: must be keys of 32 bytes in base64, comma-separated (key 2 is not)',
      );
      expect(message).not.toContain(good);
      expect(message).not.toContain(short);
    });
  });

  describe('the relying party of passkeys', () => {
    it('comes from APP_URL outside production, else localhost', () => {
      expect(configOf({ APP_URL: 'https://app.example.com/base', APP_NAME: 'Acme' }).webAuthn).toEqual({
        rpId: 'app.example.com',
        rpName: 'Acme',
        origins: ['https://app.example.com'],
      });
      expect(configOf({ APP_URL: 'http://127.0.0.1:4000' }).webAuthn).toEqual({
        rpId: 'localhost',
        rpName: 'nest-auth-service',
        origins: ['http://127.0.0.1:4000'],
      });
    });

    it('reads WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS', () => {
      const env = {
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_RP_NAME: 'Example',
        WEBAUTHN_ORIGINS: 'https://example.com, https://app.example.com:8443',
      };
      expect(configOf(env).webAuthn).toEqual({
        rpId: 'example.com',
        rpName: 'Example',
        origins: ['https://example.com', 'https://app.example.com:8443'],
      });
      expect(configOf({ WEBAUTHN_ORIGINS: 'http://localhost:8080' }).webAuthn.origins).toEqual([
        'http://localhost:8080',
      ]);
    });

    it.each([
      [
        'an origin of another host',
        { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' },
      ],
      [
        'a host that only ends like it',
        { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://badexample.com' },
      ],
      ['plain http off localhost', { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'http://example.com' }],
      ['a URL with a path', { WEBAUTHN_ORIGINS: 'http://localhost:8080/app' }],
      ['no origin at all', { WEBAUTHN_ORIGINS: ' , ' }],
      ['not a URL', { WEBAUTHN_ORIGINS: 'localhost:8080' }],
    ])('refuses %s in WEBAUTHN_ORIGINS', (_case, env) => {
      expect(namedVariables(env)).toEqual(['WEBAUTHN_ORIGINS']);
    });

    it.each(['Example.com', 'example.com:443', '127.0.0.1', 'https://example.com', 'exa_mple.com'])(
      'refuses WEBAUTHN_RP_ID=%s',
      (rpId) => {
        expect(namedVariables({ WEBAUTHN_RP_ID: rpId })).toEqual(['WEBAUTHN_RP_ID']);
      },
    );

    it.each(['WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS'])('requires %s in production', (name) => {
      const production = {
        NODE_ENV: 'production',
        JWT_SECRET: STRONG_SECRET,
        DATA_ENCRYPTION_KEY: DATA_KEY,
        JWT_ISSUER: 'https://auth.example.com',
        METRICS_TOKEN: 'metrics-token-for-prometheus',
        MAIL_ENABLED: 'false',
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_ORIGINS: 'https://example.com',
      };
      expect(namedVariables(production)).toEqual([]);
      expect(namedVariables({ ...production, [name]: '' })).toEqual([name]);
    });
  });

  it.each([
    ['30', 30],
    ['86400', 86_400],
    ['900', 900],
  ])('reads STEP_UP_MAX_AGE_SECONDS=%s (300 unset, from 30 to 86400)', (setting, maxAgeSeconds) => {
    expect(configOf({ STEP_UP_MAX_AGE_SECONDS: setting }).stepUp).toEqual({ maxAgeSeconds });
    expect(configOf({}).stepUp).toEqual({ maxAgeSeconds: 300 });
  });

  it.each([
    ['1m', 60],
    ['15m', 900],
    ['7d', 604_800],
    ['0', 0],
    ['off', 0],
    [' OFF ', 0],
  ])('reads PURGE_INTERVAL=%j (1h unset; 0 or off: never)', (setting, purgeIntervalSeconds) => {
    expect(configOf({ PURGE_INTERVAL: setting }).retention.purgeIntervalSeconds).toBe(purgeIntervalSeconds);
  });

  it('reads the retention days', () => {
    expect(
      configOf({ SESSION_RETENTION_DAYS: '90', OUTBOX_RETENTION_DAYS: '1', AUDIT_RETENTION_DAYS: '3650' })
        .retention,
    ).toEqual({ sessionDays: 90, outboxDays: 1, auditDays: 3650, purgeIntervalSeconds: 3600 });
  });

  it.each([
    [{ NODE_ENV: 'development' }, { format: 'pretty', level: 'info', isBuffered: true }],
    [{ NODE_ENV: 'test' }, { format: 'pretty', level: 'info', isBuffered: false }],
    [
      { NODE_ENV: 'development', LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
      { format: 'json', level: 'debug', isBuffered: true },
    ],
    [
      { NODE_ENV: 'test', LOG_FORMAT: 'json', LOG_LEVEL: 'silent' },
      { format: 'json', level: 'silent', isBuffered: false },
    ],
  ])('reads the log settings of %j (LOG_FORMAT json in production, else pretty)', (env, logging) => {
    expect(configOf(env).logging).toEqual(logging);
  });

  it('accepts a short JWT_SECRET outside production', () => {
    expect(configOf({ JWT_SECRET: 'dev' })).toEqual({ ...DEFAULTS, jwt: { ...DEFAULTS.jwt, secret: 'dev' } });
  });

  describe('derives', () => {
    const PRODUCTION = {
      NODE_ENV: 'production',
      JWT_ISSUER: 'https://auth.example.com',
      METRICS_TOKEN: 'metrics-token-for-prometheus',
      JWT_SECRET: STRONG_SECRET,
      DATA_ENCRYPTION_KEY: DATA_KEY,
      MAIL_ENABLED: 'false',
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_ORIGINS: 'https://example.com',
    };

    it.each<[string, Record<string, string>, boolean]>([
      ['development', {}, true],
      ['test', { NODE_ENV: 'test' }, true],
      ['production', PRODUCTION, false],
      ['production with SWAGGER_ENABLED=true', { ...PRODUCTION, SWAGGER_ENABLED: 'true' }, true],
      ['development with SWAGGER_ENABLED=false', { SWAGGER_ENABLED: 'false' }, false],
    ])('whether Swagger is served in %s', (_case, raw, isSwaggerEnabled) => {
      expect(configOf(raw).http.isSwaggerEnabled).toBe(isSwaggerEnabled);
    });

    it('isProduction from NODE_ENV', () => {
      expect(configOf(PRODUCTION).isProduction).toBe(true);
      expect(configOf({ NODE_ENV: 'test' }).isProduction).toBe(false);
    });

    it('a hash concurrency and a worker count of one per core from 0, and keeps any other', () => {
      expect(configOf({ PASSWORD_HASH_CONCURRENCY: '0', WEB_CONCURRENCY: '0' })).toMatchObject({
        passwords: { hashConcurrency: availableParallelism() },
        cluster: { workers: availableParallelism() },
      });
      expect(configOf({ PASSWORD_HASH_CONCURRENCY: '3', WEB_CONCURRENCY: '5' })).toMatchObject({
        passwords: { hashConcurrency: 3 },
        cluster: { workers: 5 },
      });
    });

    it.each([
      ['60', 60],
      ['3600', 3600],
      ['86400', 3600],
    ])(
      "an account budget's block from LOCKOUT_MAX_SECONDS=%s, within the budget's hour",
      (maxSeconds, blockSeconds) => {
        expect(configOf({ LOCKOUT_MAX_SECONDS: maxSeconds }).rateLimits.accountBlockSeconds).toBe(
          blockSeconds,
        );
      },
    );

    it.each<[string, Record<string, string>, string | undefined]>([
      ['no SMTP_URL and a DATA_DIR', { DATA_DIR: '/var/lib/auth' }, '/var/lib/auth/mail'],
      ['no SMTP_URL and DATA_DIR=:memory:', { DATA_DIR: ':memory:' }, undefined],
      ['an SMTP_URL', { SMTP_URL: 'smtp://127.0.0.1:1025?ignoreTLS=true' }, undefined],
    ])('a mailbox folder from %s', (_case, raw, mailboxDir) => {
      expect(configOf(raw).mail.mailboxDir).toBe(mailboxDir);
    });

    it('the mail section from its variables', () => {
      expect(
        configOf({
          SMTP_URL: 'smtp://auth:p%40ss@mail.example.com:587?requireTLS=true',
          MAIL_FROM: ' Example Accounts <accounts@example.com> ',
          APP_NAME: 'Example',
          APP_URL: 'https://example.com/app/',
          MAIL_ENABLED: 'false',
          MAIL_MAX_ATTEMPTS: '3',
          PASSWORD_RESET_TTL: '24h',
        }).mail,
      ).toEqual({
        isEnabled: false,
        smtpUrl: 'smtp://auth:p%40ss@mail.example.com:587?requireTLS=true',
        from: 'Example Accounts <accounts@example.com>',
        appName: 'Example',
        appUrl: 'https://example.com/app',
        maxAttempts: 3,
        passwordResetTtlSeconds: 86_400,
        emailVerificationTtlSeconds: 86_400,
      });
    });

    it.each([
      ['Example', '"Example" <no-reply@localhost>'],
      ['Say "hi" \\o/', '"Say \\"hi\\" \\\\o/" <no-reply@localhost>'],
    ])('a From header from APP_NAME=%j when MAIL_FROM is unset', (appName, from) => {
      expect(configOf({ APP_NAME: appName }).mail.from).toBe(from);
    });

    it.each([
      'smtp://mail.example.com',
      'smtps://mail.example.com:465',
      'smtp://[::1]:25?ignoreTLS=true&requireTLS=false',
    ])('accepts SMTP_URL=%j', (url) => {
      expect(configOf({ SMTP_URL: url }).mail.smtpUrl).toBe(url);
    });

    it.each(['no-reply@example.com', '"Example" <no-reply@example.com>', 'Example <no-reply@localhost>'])(
      'accepts MAIL_FROM=%j',
      (from) => {
        expect(configOf({ MAIL_FROM: from }).mail.from).toBe(from);
      },
    );

    it('introspection clients as ids and secrets, a secret keeping its colons', () => {
      expect(
        configOf({ INTROSPECTION_CLIENTS: ' orders-api:s3:cr:et , billing:other' }).introspection,
      ).toEqual({
        clients: [
          { id: 'orders-api', secret: 's3:cr:et' },
          { id: 'billing', secret: 'other' },
        ],
      });
    });
  });
});
