// Runs every Go fuzz target of the engine for a short, bounded time (npm run test:fuzz), the way
// CI does: FUZZTIME (default 8s) per target. Longer local runs: FUZZTIME=5m npm run test:fuzz.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const fuzztime = process.env.FUZZTIME || '8s';
const list = spawnSync('go', ['test', '-list', '^Fuzz', './goshm/'], { cwd: root, encoding: 'utf8' });
if (list.status !== 0) {
  process.stderr.write(list.stdout + list.stderr);
  process.exit(1);
}
const targets = list.stdout.split('\n').filter((line) => line.startsWith('Fuzz'));
if (targets.length === 0) {
  process.stderr.write('no fuzz targets found in ./goshm/\n');
  process.exit(1);
}
for (const target of targets) {
  process.stdout.write(`fuzzing ${target} for ${fuzztime}\n`);
  const run = spawnSync('go', ['test', './goshm/', '-run', '^$', '-fuzz', `^${target}$`, '-fuzztime', fuzztime],
    { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status === null ? 1 : run.status);
}
process.stdout.write(`fuzz: ${targets.length} targets ran ${fuzztime} each without a failure\n`);
