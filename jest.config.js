// @swc/jest compiles TypeScript and the ESM-only packages (NestJS 12, PGlite, jose) to CommonJS for jest.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const ESM_PACKAGES = [
  '@nestjs',
  '@electric-sql',
  '@fastify',
  '@borewit',
  '@tokenizer',
  '@standard-schema',
  'content-disposition',
  'cookie',
  'file-type',
  'jose',
  'openid-client',
  'oauth4webapi',
  '@noble',
  '@scure',
  '@otplib',
  'otplib',
  'set-cookie-parser',
  'strtok3',
  'toad-cache',
  'token-types',
  'uint8array-extras',
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  // ESM-only packages the app loads (Node 20's require(esm) is not available inside jest's module system).
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  setupFiles: ['<rootDir>/test/support/env.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Tests of instances sharing Redis run when REDIS_URL names one (.ci/run does).
      testPathIgnorePatterns: process.env.REDIS_URL ? [] : ['<rootDir>/test/redis/'],
    },
  ],
  maxWorkers: 2,
  // A worker keeps what each file's app leaves in memory (PGlite's heaps among it); past this it is replaced after
  // its file, which keeps the late files of a run from crawling through garbage collection.
  workerIdleMemoryLimit: '1GB',
  testTimeout: 30_000,
};
