import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'load-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads .env's variables beneath the environment's", () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, '# a comment\nPORT=4000\nHOST=0.0.0.0\nCORS_ORIGINS="https://app.example.com"\n');
    const config = loadConfig(envFile, { HOST: '10.0.0.1' });
    expect(config.http).toMatchObject({
      port: 4000,
      host: '10.0.0.1',
      corsOrigins: ['https://app.example.com'],
    });
  });

  it('needs no .env', () => {
    expect(loadConfig(join(dir, '.env'), { PORT: '4001' }).http.port).toBe(4001);
  });

  it('stops at a bad value in .env, naming the variable', () => {
    const envFile = join(dir, '.env');
    writeFileSync(envFile, 'PORT=http\n');
    expect(() => loadConfig(envFile, {})).toThrow(/^Invalid environment:\n {2}PORT: /);
  });
});
