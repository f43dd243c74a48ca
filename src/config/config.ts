export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const PASSWORD_HASH_ALGORITHMS = ['bcrypt', 'argon2id'] as const;
export type PasswordHashAlgorithm = (typeof PASSWORD_HASH_ALGORITHMS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  /**
   * AES-256-GCM keys of the secrets kept to be read back (TOTP): the key that encrypts, unset outside production
   * (then one is generated into dataDir), and the rotated-out ones that still decrypt.
   */
  dataEncryption: { key?: Buffer; previousKeys: Buffer[] };
  sessions: { refreshTokenTtlSeconds: number; maxLifetimeSeconds: number; reuseGraceSeconds: number };
  /** How long what has ended is kept before the purge deletes it; how often it runs here (0: never). */
  retention: { sessionDays: number; outboxDays: number; auditDays: number; purgeIntervalSeconds: number };
  /** The relying party of passkeys: the host name they are bound to, its display name, the pages that may use them. */
  webAuthn: { rpId: string; rpName: string; origins: string[] };
  /** How recent a sign-in a sensitive change needs (RFC 9470 max_age). */
  stepUp: { maxAgeSeconds: number };
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
  registration: {
    isOpen: boolean;
    /** A right password to an account whose address is not verified is a 403 (REQUIRE_EMAIL_VERIFICATION). */
    requiresVerifiedEmail: boolean;
  };
  bootstrapAdmin: { username: string; email: string; password?: string };
  metrics: { token?: string };
  /** json: one JSON object a line (production's default); pretty: readable lines. Levels are pino's. */
  logging: { format: (typeof LOG_FORMATS)[number]; level: (typeof LOG_LEVELS)[number]; isBuffered: boolean };
  introspection: { clients: { id: string; secret: string }[] };
  mail: {
    /** false: no mail, and the endpoints that send it answer 404. */
    isEnabled: boolean;
    /** smtp:// or smtps://, with ?ignoreTLS=true or ?requireTLS=true at most; unset: mailboxDir, or memory. */
    smtpUrl?: string;
    /** The From header. */
    from: string;
    appName: string;
    /** The client application's base URL, no trailing slash: every link starts with it. */
    appUrl: string;
    maxAttempts: number;
    passwordResetTtlSeconds: number;
    emailVerificationTtlSeconds: number;
    /** One .eml file per message, when there is no SMTP_URL outside production (DATA_DIR/mail); unset: memory. */
    mailboxDir?: string;
  };
}
