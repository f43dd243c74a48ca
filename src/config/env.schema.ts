import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { passwordProblem, USERNAME_PATTERN } from '../common/credentials-rules';
import { type Config, JWT_ALGORITHMS, LOG_FORMATS, LOG_LEVELS, PASSWORD_HASH_ALGORITHMS } from './config';
import { parseDurationSeconds } from './duration';
import {
  estimatedEntropyBits,
  introspectionClients,
  isAppUrl,
  isHeaderText,
  isMailbox,
  isOriginList,
  isSmtpUrl,
  isRelyingPartyId,
  isTrustedProxySetting,
  webAuthnOriginProblem,
} from './setting-checks';

const MIN_PRODUCTION_SECRET_BYTES = 32;
// A score, not true entropy: repeats and runs score under 25, openssl rand -hex 16 at least 87 in a million samples.
const MIN_PRODUCTION_SECRET_BITS = 48;
const MIN_PRODUCTION_CLIENT_SECRET_LENGTH = 32;

const DEVELOPMENT_ISSUER = 'http://localhost:3000';
const DEVELOPMENT_APP_URL = 'http://localhost:3000';
// A reset link works as a password until it expires or is used.
const MAX_PASSWORD_RESET_TTL_SECONDS = 24 * 3600;
const MAX_EMAIL_VERIFICATION_TTL_SECONDS = 7 * 24 * 3600;
const MAX_PURGE_INTERVAL_SECONDS = 7 * 24 * 3600;

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined || seconds === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 900, 15m, 12h or 7d' });
        return z.NEVER;
      }
      return seconds;
    });

export const DATA_ENCRYPTION_KEY_BYTES = 32;
const DATA_ENCRYPTION_KEY_FORMAT = `must be ${DATA_ENCRYPTION_KEY_BYTES} bytes in base64 (try: openssl rand -base64 32)`;

/** A data encryption key: 32 bytes in base64 or base64url, padded or not; undefined for anything else. */
export function decodeDataEncryptionKey(text: string): Buffer | undefined {
  const base64 = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    return undefined;
  }
  const key = Buffer.from(base64, 'base64');
  // Buffer.from skips what it cannot read; encoding the bytes again shows that every character counted.
  const isCanonical = key.toString('base64').replace(/=+$/, '') === base64.replace(/=+$/, '');
  return isCanonical && key.length === DATA_ENCRYPTION_KEY_BYTES ? key : undefined;
}

const integer = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

/** Every environment variable the service reads, with its default; .env.example mirrors it. */
const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(3000, 0, 65535),
  BODY_LIMIT: integer(100 * 1024, 1024, 100 * 1024 * 1024),
  SHUTDOWN_DRAIN_SECONDS: integer(5, 0, 300),
  SHUTDOWN_TIMEOUT_SECONDS: integer(25, 1, 600),
  // start:cluster's workers; 0: one per core.
  WEB_CONCURRENCY: integer(0, 0, 256),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PUBLIC: z.stringbool({ error: 'must be true or false' }).default(false),
  // Unset: json in production, pretty otherwise (see toConfig).
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: 'must be json or pretty' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_ALGORITHM: z.enum(JWT_ALGORITHMS, { error: 'must be HS256, RS256 or ES256' }).default('HS256'),
  JWT_SECRET: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().optional(),
  JWT_PREVIOUS_PUBLIC_KEY_FILE: z.string().optional(),
  // Never repeated in a message: it is the key.
  DATA_ENCRYPTION_KEY: z
    .string()
    .transform((text, ctx) => {
      const key = decodeDataEncryptionKey(text);
      if (!key) {
        ctx.addIssue({ code: 'custom', message: DATA_ENCRYPTION_KEY_FORMAT });
        return z.NEVER;
      }
      return key;
    })
    .optional(),
  DATA_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((setting, ctx) => {
      const keys = commaSeparated(setting).map(decodeDataEncryptionKey);
      const bad = keys.findIndex((key) => key === undefined);
      if (bad !== -1) {
        ctx.addIssue({
          code: 'custom',
          message: `must be keys of ${DATA_ENCRYPTION_KEY_BYTES} bytes in base64, comma-separated (key ${bad + 1} is not)`,
        });
        return z.NEVER;
      }
      return keys as Buffer[];
    }),
  INTROSPECTION_CLIENTS: z
    .string()
    .regex(/^\s*[^:,\s]+:[^,\s]+(\s*,\s*[^:,\s]+:[^,\s]+)*\s*$/, 'must be id:secret pairs, comma-separated')
    .optional(),
  // Defaults to DEVELOPMENT_ISSUER outside production (see the transform below).
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).default('nest-auth-service'),
  JWT_CLIENT_ID: z.string().min(1).default('nest-auth-service-client'),
  ACCESS_TOKEN_TTL: duration('15m'),
  REFRESH_TOKEN_TTL: duration('7d'),
  SESSION_MAX_LIFETIME: duration('30d'),
  REFRESH_REUSE_GRACE_SECONDS: integer(10, 0, 300),
  SESSION_RETENTION_DAYS: integer(30, 1, 3650),
  OUTBOX_RETENTION_DAYS: integer(7, 1, 3650),
  AUDIT_RETENTION_DAYS: integer(365, 1, 3650),
  PURGE_INTERVAL: z
    .string()
    .default('1h')
    .transform((value, ctx) => {
      const seconds = value.trim().toLowerCase() === 'off' ? 0 : parseDurationSeconds(value);
      // setInterval takes at most 2^31 - 1 ms (24.8 days) and runs a longer delay at once.
      if (
        seconds === undefined ||
        (seconds !== 0 && (seconds < 60 || seconds > MAX_PURGE_INTERVAL_SECONDS))
      ) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be off (or 0), or a duration from 1m to 7d such as 15m or 1h',
        });
        return z.NEVER;
      }
      return seconds;
    }),
  STEP_UP_MAX_AGE_SECONDS: integer(300, 30, 86_400),
  AUTH_CACHE_TTL_SECONDS: integer(60, 0, 3600),
  AUTH_NOTICE_HEARTBEAT_MS: integer(3000, 100, 60_000),
  PASSWORD_HASH: z.enum(PASSWORD_HASH_ALGORITHMS, { error: 'must be bcrypt or argon2id' }).default('bcrypt'),
  BCRYPT_COST: integer(12, 4, 31),
  PASSWORD_HASH_CONCURRENCY: integer(0, 0, 256),
  PASSWORD_MIN_SCORE: integer(3, 0, 4),
  PWNED_PASSWORDS_URL: z
    .url({ error: 'must be a URL such as https://api.pwnedpasswords.com/range/' })
    .optional(),
  PWNED_PASSWORDS_TIMEOUT_MS: integer(1500, 100, 30_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  TRUST_PROXY: z
    .string()
    .refine(isTrustedProxySetting, {
      message:
        'must be a hop count from 1 to 9, or proxy addresses or CIDRs (comma-separated); trusting every address would let clients choose theirs',
    })
    .optional(),
  RATE_LIMIT_PER_MINUTE: integer(600, 1, 1_000_000),
  AUTH_RATE_LIMIT_PER_MINUTE: integer(20, 1, 1_000_000),
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: integer(30, 1, 1_000_000),
  LOCKOUT_THRESHOLD: integer(5, 1, 1000),
  LOCKOUT_BASE_SECONDS: integer(60, 1, 86_400),
  LOCKOUT_MAX_SECONDS: integer(900, 1, 86_400 * 7),
  CORS_ORIGINS: z
    .string()
    .refine(isOriginList, {
      message:
        'must be origins such as https://app.example.com (comma-separated), each named in full: * would let every site call the API',
    })
    .optional(),
  ALLOW_REGISTRATION: z.stringbool({ error: 'must be true or false' }).default(true),
  // Unset: served outside production only (see toConfig).
  SWAGGER_ENABLED: z.stringbool({ error: 'must be true or false' }).optional(),
  MAIL_ENABLED: z.stringbool({ error: 'must be true or false' }).default(true),
  SMTP_URL: z
    .string()
    .refine(isSmtpUrl, {
      message:
        'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587, with at most ?ignoreTLS=true or ?requireTLS=true',
    })
    .optional(),
  // Unset: a display name of APP_NAME at no-reply@localhost (see toConfig).
  MAIL_FROM: z
    .string()
    .refine(isMailbox, {
      message: 'must be an address, such as no-reply@example.com or "Example" <no-reply@example.com>',
    })
    .optional(),
  APP_NAME: z
    .string()
    .max(100, 'must be at most 100 characters')
    .refine(isHeaderText, { message: 'must be one line of printable characters' })
    .default('nest-auth-service'),
  // Unset: DEVELOPMENT_APP_URL, outside production only.
  APP_URL: z
    .string()
    .refine(isAppUrl, {
      message:
        'must be an http:// or https:// URL such as https://app.example.com, without a query or fragment',
    })
    .optional(),
  // Unset: outside production, the host of APP_URL, else localhost (see toConfig); required in production.
  WEBAUTHN_RP_ID: z
    .string()
    .refine(isRelyingPartyId, {
      message: 'must be a host name in lower case, such as example.com, without a port',
    })
    .optional(),
  // Unset: APP_NAME.
  WEBAUTHN_RP_NAME: z
    .string()
    .max(100, 'must be at most 100 characters')
    .refine(isHeaderText, { message: 'must be one line of printable characters' })
    .optional(),
  // Unset: outside production, APP_URL's origin; required in production.
  WEBAUTHN_ORIGINS: z.string().optional(),
  MAIL_MAX_ATTEMPTS: integer(10, 1, 100),
  PASSWORD_RESET_TTL: duration('1h').refine((seconds) => seconds <= MAX_PASSWORD_RESET_TTL_SECONDS, {
    message: 'must be at most 24h',
  }),
  EMAIL_VERIFICATION_TTL: duration('24h').refine((seconds) => seconds <= MAX_EMAIL_VERIFICATION_TTL_SECONDS, {
    message: 'must be at most 7d',
  }),
  REQUIRE_EMAIL_VERIFICATION: z.stringbool({ error: 'must be true or false' }).default(false),
  ADMIN_USERNAME: z.string().regex(USERNAME_PATTERN, 'must be 3 to 32 of A-Z a-z 0-9 . _ -').default('admin'),
  ADMIN_EMAIL: z.email().default('admin@example.com'),
  ADMIN_PASSWORD: z
    .string()
    .optional()
    .superRefine((password, ctx) => {
      const problem = password === undefined ? undefined : passwordProblem(password);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
});

type Variables = z.output<typeof variables>;

export const envSchema = variables
  .superRefine((env, ctx) => {
    if (env.REQUIRE_EMAIL_VERIFICATION && !env.MAIL_ENABLED) {
      ctx.addIssue({
        code: 'custom',
        path: ['REQUIRE_EMAIL_VERIFICATION'],
        message: 'needs MAIL_ENABLED: no one could verify an address, so no one could sign in',
      });
    }
    // In production without an RP ID, that one is named: the origins cannot be checked against it.
    if (env.WEBAUTHN_ORIGINS !== undefined && (env.WEBAUTHN_RP_ID || env.NODE_ENV !== 'production')) {
      const { rpId } = relyingPartyOf(env);
      const origins = commaSeparated(env.WEBAUTHN_ORIGINS);
      const problems = origins.length === 0 ? ['must name an origin'] : [];
      problems.push(...origins.flatMap((origin) => webAuthnOriginProblem(origin, rpId) ?? []));
      for (const message of problems) {
        ctx.addIssue({ code: 'custom', path: ['WEBAUTHN_ORIGINS'], message });
      }
    }
    if (env.NODE_ENV !== 'production') {
      return;
    }
    if (env.JWT_ALGORITHM !== 'HS256') {
      if (!env.JWT_PRIVATE_KEY_FILE) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_PRIVATE_KEY_FILE'],
          message: `is required in production with JWT_ALGORITHM=${env.JWT_ALGORITHM} (npm run keys:generate)`,
        });
      }
    } else if (!env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required in production' });
    } else if (Buffer.byteLength(env.JWT_SECRET, 'utf8') < MIN_PRODUCTION_SECRET_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: `must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes in production (try: openssl rand -base64 48)`,
      });
    } else if (estimatedEntropyBits(env.JWT_SECRET) < MIN_PRODUCTION_SECRET_BITS) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is too easy to guess: use a random one (try: openssl rand -base64 48)',
      });
    }
    if (!env.DATA_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATA_ENCRYPTION_KEY'],
        message: 'is required in production (try: openssl rand -base64 32)',
      });
    }
    for (const [id, secret] of introspectionClients(env.INTROSPECTION_CLIENTS)) {
      const problem =
        secret.length < MIN_PRODUCTION_CLIENT_SECRET_LENGTH
          ? `must be at least ${MIN_PRODUCTION_CLIENT_SECRET_LENGTH} characters in production`
          : estimatedEntropyBits(secret) < MIN_PRODUCTION_SECRET_BITS
            ? 'is too easy to guess'
            : undefined;
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: ['INTROSPECTION_CLIENTS'],
          message: `the secret of ${id} ${problem} (try: openssl rand -hex 32)`,
        });
      }
    }
    if (!env.METRICS_TOKEN && !env.METRICS_PUBLIC) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message:
          'is required in production, unless METRICS_PUBLIC=true opens /metrics to anyone who reaches it',
      });
    }
    if (!env.JWT_ISSUER) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_ISSUER'],
        message: `is required in production: the service's public URL, which tokens name (not ${DEVELOPMENT_ISSUER})`,
      });
    }
    for (const name of ['WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS'] as const) {
      if (!env[name]) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            name === 'WEBAUTHN_RP_ID'
              ? 'is required in production: the host name passkeys are bound to for good, such as example.com'
              : 'is required in production: the origins of the pages that use passkeys, such as https://app.example.com',
        });
      }
    }
    if (env.MAIL_ENABLED) {
      if (!env.SMTP_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['SMTP_URL'],
          message: 'is required in production, unless MAIL_ENABLED=false turns mail and its endpoints off',
        });
      }
      if (!env.APP_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['APP_URL'],
          message:
            'is required in production, unless MAIL_ENABLED=false: the client application, whose links mail carries',
        });
      }
    }
  })
  .transform(toConfig);

function toConfig(env: Variables): Config {
  const isProduction = env.NODE_ENV === 'production';
  return {
    isProduction,
    dataDir: env.DATA_DIR,
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.BODY_LIMIT,
      corsOrigins: commaSeparated(env.CORS_ORIGINS),
      trustProxy: trustedProxies(env.TRUST_PROXY),
      // The document maps every route for an attacker.
      isSwaggerEnabled: env.SWAGGER_ENABLED ?? !isProduction,
      shutdownDrainSeconds: env.SHUTDOWN_DRAIN_SECONDS,
      shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS,
    },
    cluster: { workers: env.WEB_CONCURRENCY || availableParallelism() },
    database: { url: env.DATABASE_URL, noticeHeartbeatMs: env.AUTH_NOTICE_HEARTBEAT_MS },
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      secret: env.JWT_SECRET,
      privateKeyFile: env.JWT_PRIVATE_KEY_FILE,
      previousPublicKeyFile: env.JWT_PREVIOUS_PUBLIC_KEY_FILE,
      issuer: env.JWT_ISSUER ?? DEVELOPMENT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clientId: env.JWT_CLIENT_ID,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL,
    },
    dataEncryption: { key: env.DATA_ENCRYPTION_KEY, previousKeys: env.DATA_ENCRYPTION_PREVIOUS_KEYS },
    sessions: {
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL,
      maxLifetimeSeconds: env.SESSION_MAX_LIFETIME,
      reuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
    },
    retention: {
      sessionDays: env.SESSION_RETENTION_DAYS,
      outboxDays: env.OUTBOX_RETENTION_DAYS,
      auditDays: env.AUDIT_RETENTION_DAYS,
      purgeIntervalSeconds: env.PURGE_INTERVAL,
    },
    stepUp: { maxAgeSeconds: env.STEP_UP_MAX_AGE_SECONDS },
    authCache: { ttlSeconds: env.AUTH_CACHE_TTL_SECONDS },
    passwords: {
      algorithm: env.PASSWORD_HASH,
      bcryptCost: env.BCRYPT_COST,
      hashConcurrency: env.PASSWORD_HASH_CONCURRENCY || availableParallelism(),
      minScore: env.PASSWORD_MIN_SCORE,
      // A range is appended to it (new URL(prefix, base)), which needs the base to end in a slash.
      pwnedPasswordsUrl: env.PWNED_PASSWORDS_URL?.replace(/\/?$/, '/'),
      pwnedPasswordsTimeoutMs: env.PWNED_PASSWORDS_TIMEOUT_MS,
    },
    rateLimits: {
      redisUrl: env.REDIS_URL,
      requestsPerAddressPerMinute: env.RATE_LIMIT_PER_MINUTE,
      authRequestsPerAddressPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      passwordChecksPerAccountPerHour: env.SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR,
      // Every check counts, the owner's too, so a spent budget blocks no longer than a lockout would, nor past
      // the hour it counts.
      accountBlockSeconds: Math.min(3600, env.LOCKOUT_MAX_SECONDS),
    },
    lockout: {
      threshold: env.LOCKOUT_THRESHOLD,
      baseSeconds: env.LOCKOUT_BASE_SECONDS,
      maxSeconds: env.LOCKOUT_MAX_SECONDS,
    },
    webAuthn: relyingPartyOf(env),
    registration: { isOpen: env.ALLOW_REGISTRATION, requiresVerifiedEmail: env.REQUIRE_EMAIL_VERIFICATION },
    bootstrapAdmin: { username: env.ADMIN_USERNAME, email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    metrics: { token: env.METRICS_TOKEN },
    logging: {
      format: env.LOG_FORMAT ?? (isProduction ? 'json' : 'pretty'),
      level: env.LOG_LEVEL,
      // Tests read what the process writes through process.stdout; a service buffers its lines (see createLogger).
      isBuffered: env.NODE_ENV !== 'test',
    },
    introspection: {
      clients: introspectionClients(env.INTROSPECTION_CLIENTS).map(([id, secret]) => ({ id, secret })),
    },
    mail: {
      isEnabled: env.MAIL_ENABLED,
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM?.trim() ?? `"${env.APP_NAME.replace(/["\\]/g, '\\$&')}" <no-reply@localhost>`,
      appName: env.APP_NAME,
      // Links append a path to it.
      appUrl: (env.APP_URL ?? DEVELOPMENT_APP_URL).replace(/\/+$/, ''),
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL,
      emailVerificationTtlSeconds: env.EMAIL_VERIFICATION_TTL,
      // Without a server, development mail lands in files; production needs SMTP_URL (or has mail off).
      mailboxDir:
        env.SMTP_URL || isProduction || env.DATA_DIR === ':memory:' ? undefined : join(env.DATA_DIR, 'mail'),
    },
  };
}

/** Unset parts come from APP_URL outside production, where the start requires them otherwise. */
function relyingPartyOf(env: Variables): Config['webAuthn'] {
  const appUrl = new URL(env.APP_URL ?? DEVELOPMENT_APP_URL);
  const origins = commaSeparated(env.WEBAUTHN_ORIGINS);
  return {
    rpId: env.WEBAUTHN_RP_ID ?? (isRelyingPartyId(appUrl.hostname) ? appUrl.hostname : 'localhost'),
    rpName: env.WEBAUTHN_RP_NAME ?? env.APP_NAME,
    origins: origins.length > 0 ? origins : [appUrl.origin],
  };
}

const commaSeparated = (setting: string | undefined): string[] =>
  (setting ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** TRUST_PROXY, which isTrustedProxySetting has accepted: a hop count, or addresses and CIDRs. */
function trustedProxies(setting: string | undefined): Config['http']['trustProxy'] {
  if (!setting) {
    return undefined;
  }
  return /^\d+$/.test(setting.trim()) ? { hops: Number(setting) } : { addresses: commaSeparated(setting) };
}

/** Validates the environment and reads it into its sections; a bad value stops the start, naming the variable. */
export function validateEnv(raw: Record<string, unknown>): Config {
  // An empty variable (FOO= in .env) means "use the default", as in most twelve-factor apps.
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => !(typeof value === 'string' && value.trim() === '')),
  );
  const result = envSchema.safeParse(present);
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`Invalid environment:\n${problems.join('\n')}`);
}
