// The examples the README points to stay runnable: each is run as a user would, and must finish
// by itself, exit 0 and print its closing line.
'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const { segmentNames } = require('./helpers');

const root = path.join(__dirname, '..');
const examples = [
  ['basic', /example finished: both processes agreed on every value/],
  ['events', /\[writer\] done was read/],
  ['queue', /received 2000 messages from 2 producers, each exactly once/],
  ['raw', /after close the view has 0 elements/],
];

describe('98 examples', () => {
  for (const [dir, closing] of examples) {
    it(`examples/${dir}/run.js runs to the end`, () => {
      const before = new Set(segmentNames());
      const run = spawnSync(process.execPath, [path.join(root, 'examples', dir, 'run.js')],
        { cwd: root, encoding: 'utf8', timeout: 30000 });
      assert.strictEqual(run.signal, null, `killed by ${run.signal}: ${run.stderr}`);
      assert.strictEqual(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, closing);
      const left = segmentNames().filter((f) => !before.has(f) && f.startsWith('node-libsharedmemory-'));
      assert.deepStrictEqual(left, [], 'the example left segments behind');
    });
  }
});
