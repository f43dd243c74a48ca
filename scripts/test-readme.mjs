// npm run test:readme: runs the README's curl walk-through, as written, against the built service, so it cannot rot.
// Each curl fails on an HTTP error status (--fail-with-body); the output must show what the walk-through promises.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, build, root, startService } from './lib/service.mjs';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const walkThrough = /^## Walk-through with curl\n[\s\S]*?```bash\n([\s\S]*?)```/m.exec(readme)?.[1];
if (!walkThrough?.includes('B=http://localhost:3000')) {
  console.error('README.md has no "Walk-through with curl" bash block starting from B=http://localhost:3000');
  process.exit(1);
}

build();
// The walk-through reads the mailbox folder as ./data/mail, as after npm start: it runs where DATA_DIR=./data is.
const workDir = mkdtempSync(join(tmpdir(), 'readme-walk-through-'));
const service = await startService({ DATA_DIR: join(workDir, 'data') });
let run;
try {
  const script = walkThrough
    .replace('B=http://localhost:3000', `B=${service.base}`)
    .replaceAll('<printed password>', admin.password);
  run = spawnSync(
    'bash',
    ['-c', `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n${script}`],
    { cwd: workDir, encoding: 'utf8', timeout: 60_000 },
  );
} finally {
  await service.stop();
  rmSync(workDir, { recursive: true, force: true });
}

console.log(run.stdout);
const expected = [
  /"username":"jane"/,
  /"token_type":"Bearer"/,
  /"roles":\["user"\]/,
  /Welcome to the admin dashboard, admin!/,
  /"items":\[\{"id":"[^"]+","username":"jane"/,
];
const missing = expected.filter((pattern) => !pattern.test(run.stdout));
if (run.status !== 0 || missing.length > 0) {
  console.error(run.stderr);
  console.error(
    `README walk-through failed (exit ${run.status}); not in its output: ${missing.join(', ') || '-'}`,
  );
  process.exit(1);
}
console.log('README walk-through: every command succeeded');
