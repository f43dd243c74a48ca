// The environment every test starts from; a test app may add its own variables (createTestApp).
process.env.NODE_ENV = 'test';
process.env.DATA_DIR = ':memory:';
process.env.BCRYPT_COST = '4';
process.env.JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long';
process.env.ADMIN_USERNAME = 'admin';
process.env.ADMIN_EMAIL = 'admin@example.com';
process.env.ADMIN_PASSWORD = 'root-passphrase-for-tests';
// Errors only, as Nest's testing logger prints; the tests of the logs set LOG_LEVEL=info for their app.
process.env.LOG_LEVEL = 'error';
// Limits far above what a test file sends; the rate-limit and lockout tests set their own.
process.env.RATE_LIMIT_PER_MINUTE = '100000';
process.env.AUTH_RATE_LIMIT_PER_MINUTE = '100000';
process.env.SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR = '100000';
