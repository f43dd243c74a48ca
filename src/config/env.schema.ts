import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { passwordProblem, USERNAME_PATTERN } from '../common/credentials-rules';
import { parseDurationSeconds } from './duration';

const MIN_PRODUCTION_SECRET_BYTES = 32;
// A score, not true entropy: repeats and runs score under 25, openssl rand -hex 16 at least 87 in a million samples.
const MIN_PRODUCTION_SECRET_BITS = 48;
const MIN_PRODUCTION_CLIENT_SECRET_LENGTH = 32;

/**
 * A cautious estimate of a secret's entropy in bits: its length times the Shannon entropy of its characters, or of
 * the steps between them when that is less (so 0123… counts as little as aaaa…), over its shortest repeating
 * unit (abab… counts as ab). It catches repeats, runs and few distinct characters ('a' × 32 and 0123… score 0,
 * 'changeme-' × 4 about 22), not words: it is no dictionary check, and a phrase or a keyboard row scores as much
 * as random output of its length (openssl rand -hex 16 about 115, -base64 32 about 215, -base64 48 about 330).
 */
export function estimatedEntropyBits(secret: string): number {
  let characters = Array.from(secret, (character) => character.codePointAt(0)!);
  const period = characters.findIndex(
    (_code, length) =>
      length > 0 &&
      length <= characters.length / 2 &&
      characters.every((code, index) => index < length || code === characters[index - length]),
  );
  if (period > 0) {
    characters = characters.slice(0, period);
  }
  const steps = characters.slice(1).map((code, index) => code - characters[index]!);
  return Math.min(shannonBits(characters), shannonBits(steps));
}

function shannonBits(symbols: number[]): number {
  const counts = new Map<number, number>();
  for (const symbol of symbols) {
    counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    bits -= count * Math.log2(count / symbols.length);
  }
  return bits;
}

/** INTROSPECTION_CLIENTS as [id, secret] pairs; a secret may hold colons. */
export function introspectionClients(setting: string | undefined): [string, string][] {
  return (setting ?? '')
    .split(',')
    .filter((pair) => pair.trim())
    .map((pair) => {
      const [id, ...secret] = pair.trim().split(':');
      return [id!, secret.join(':')];
    });
}
const DEVELOPMENT_ISSUER = 'http://localhost:3000';

/** Browser origins (scheme, host and port: what an Origin header holds), comma-separated; no wildcard. */
const isOriginList = (value: string): boolean =>
  value
    .split(',')
    .every((origin) => origin.trim() === '' || /^[a-z][a-z0-9+.-]*:\/\/[^\s/*?#@]+$/i.test(origin.trim()));

/** A hop count (1-9), or addresses, CIDRs and proxy-addr's names (loopback, linklocal, uniquelocal); never all. */
function isTrustedProxySetting(value: string): boolean {
  if (/^\s*[1-9]\s*$/.test(value)) {
    return true;
  }
  return value.split(',').every((entry) => {
    const [address, bits, ...rest] = entry.trim().split('/');
    if (['loopback', 'linklocal', 'uniquelocal'].includes(address ?? '') && bits === undefined) {
      return true;
    }
    const version = isIP(address ?? '');
    if (version === 0 || rest.length > 0) {
      return false;
    }
    if (bits === undefined) {
      return true;
    }
    const prefix = Number(bits);
    // A prefix shorter than /8 (IPv4) or /16 (IPv6) trusts most of the internet.
    if (!/^\d+$/.test(bits) || prefix < (version === 4 ? 8 : 16) || prefix > (version === 4 ? 32 : 128)) {
      return false;
    }
    return version === 4 || !coversMostOfIPv4(ipv6Bits(address!), prefix);
  });
}

// IPv4 clients also meet IPv6 ranges in their mapped (::ffff:a.b.c.d) and compatible (::a.b.c.d) forms.
const IPV4_IN_IPV6_BLOCKS = [0xffffn << 32n, 0n];

/** Whether an IPv6 range holds more than a /8 of IPv4 through either form, as ::ffff:0:0/96 or ::/16 do. */
function coversMostOfIPv4(network: bigint, prefix: number): boolean {
  const hostBits = BigInt(128 - Math.min(prefix, 96));
  return prefix < 96 + 8 && IPV4_IN_IPV6_BLOCKS.some((block) => network >> hostBits === block >> hostBits);
}

/** The 128 bits of an address that isIP has found to be IPv6. */
function ipv6Bits(address: string): bigint {
  let text = address.replace(/%.*$/, '');
  const ipv4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const groups =
    tail === undefined
      ? groupsOf(head)
      : [
          ...groupsOf(head),
          ...Array<string>(8 - groupsOf(head).length - groupsOf(tail).length).fill('0'),
          ...groupsOf(tail),
        ];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(parseInt(group, 16)), 0n);
}

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
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_ALGORITHM: z
    .enum(['HS256', 'RS256', 'ES256'], { error: 'must be HS256, RS256 or ES256' })
    .default('HS256'),
  JWT_SECRET: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().optional(),
  JWT_PREVIOUS_PUBLIC_KEY_FILE: z.string().optional(),
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
  AUTH_CACHE_TTL_SECONDS: integer(60, 0, 3600),
  AUTH_NOTICE_HEARTBEAT_MS: integer(3000, 100, 60_000),
  PASSWORD_HASH: z.enum(['bcrypt', 'argon2id'], { error: 'must be bcrypt or argon2id' }).default('bcrypt'),
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
  })
  .transform(toConfig);

/** The service's configuration: each variable read once into the section that uses it, units in the names. */
export interface Config {
  isProduction: boolean;
  /** Embedded database and generated keys; ':memory:' keeps nothing. */
  dataDir: string;
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Browser origins allowed to call the API; none: no CORS. */
    corsOrigins: string[];
    /** Whose X-Forwarded-For is believed: as many proxies in front, or these addresses and CIDRs; unset: nobody's. */
    trustProxy?: { hops: number } | { addresses: string[] };
    isSwaggerEnabled: boolean;
    shutdownDrainSeconds: number;
    shutdownTimeoutSeconds: number;
  };
  cluster: { workers: number };
  database: {
    /** PostgreSQL; unset: embedded PGlite in dataDir. */
    url?: string;
    noticeHeartbeatMs: number;
  };
  jwt: {
    algorithm: JwtAlgorithm;
    secret?: string;
    privateKeyFile?: string;
    previousPublicKeyFile?: string;
    issuer: string;
    audience: string;
    clientId: string;
    accessTokenTtlSeconds: number;
  };
  sessions: { refreshTokenTtlSeconds: number; maxLifetimeSeconds: number; reuseGraceSeconds: number };
  /** 0: every request reads the database. */
  authCache: { ttlSeconds: number };
  passwords: {
    algorithm: PasswordHashAlgorithm;
    bcryptCost: number;
    hashConcurrency: number;
    minScore: number;
    pwnedPasswordsUrl?: string;
    pwnedPasswordsTimeoutMs: number;
  };
  rateLimits: {
    /** Counters shared by every instance; unset: in memory. */
    redisUrl?: string;
    requestsPerAddressPerMinute: number;
    authRequestsPerAddressPerMinute: number;
    passwordChecksPerAccountPerHour: number;
    /** How long a spent account budget refuses. */
    accountBlockSeconds: number;
  };
  lockout: { threshold: number; baseSeconds: number; maxSeconds: number };
  registration: { isOpen: boolean };
  bootstrapAdmin: { username: string; email: string; password?: string };
  metrics: { token?: string };
  introspection: { clients: { id: string; secret: string }[] };
}

export type JwtAlgorithm = Variables['JWT_ALGORITHM'];
export type PasswordHashAlgorithm = Variables['PASSWORD_HASH'];

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
    sessions: {
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL,
      maxLifetimeSeconds: env.SESSION_MAX_LIFETIME,
      reuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
    },
    authCache: { ttlSeconds: env.AUTH_CACHE_TTL_SECONDS },
    passwords: {
      algorithm: env.PASSWORD_HASH,
      bcryptCost: env.BCRYPT_COST,
      hashConcurrency: env.PASSWORD_HASH_CONCURRENCY || availableParallelism(),
      minScore: env.PASSWORD_MIN_SCORE,
      pwnedPasswordsUrl: env.PWNED_PASSWORDS_URL,
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
    registration: { isOpen: env.ALLOW_REGISTRATION },
    bootstrapAdmin: { username: env.ADMIN_USERNAME, email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    metrics: { token: env.METRICS_TOKEN },
    introspection: {
      clients: introspectionClients(env.INTROSPECTION_CLIENTS).map(([id, secret]) => ({ id, secret })),
    },
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
