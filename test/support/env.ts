// The environment every test starts from; a test app may add its own variables (createTestApp).
process.env.NODE_ENV = 'test';
process.env.DATA_DIR = ':memory:';
process.env.BCRYPT_COST = '4';
process.env.JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long';
process.env.ADMIN_USERNAME = 'admin';
process.env.ADMIN_EMAIL = 'admin@example.com';
process.env.ADMIN_PASSWORD = 'root-passphrase-for-tests';
