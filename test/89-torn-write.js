// Issue 9, item 9: a write whose source faults midway (a view over another segment that was
// truncated) threw ERR_SHM_FAULT with part of the payload already replaced under the old size,
// flags and revision, so readers accepted a torn value. A write that throws must leave the old
// value, or a repaired, clearly empty one (null, no type bit, kMemoryChanged toggled, a new
// revision) as the takeover of a dead writer does. Run in child processes (a fault escaping the
// guards would be a SIGBUS), with the fast path on and off (LSM_NO_FAST_PATH=1).
'use strict';
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { uniqueName, ownSegments, removeSegment, linuxOnly } = require('./helpers');

const CHILD = path.join(__dirname, 'fixtures', 'torn-write-child.js');

/** Runs one scenario of the child; returns its cases. */
function runScenario(scenario, env) {
  const prefix = uniqueName(`torn-${scenario}`);
  const r = spawnSync(process.execPath, [CHILD, JSON.stringify({ prefix, scenario })], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000,
  });
  for (const name of ownSegments().filter((n) => n.startsWith(prefix))) removeSegment(name);
  assert.strictEqual(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('89 a write that faults midway leaves no torn value', function () {
  this.timeout(120000);
  before(function () {
    linuxOnly(this, 'segments are truncated through their files');
  });

  for (const [label, env] of [['fast path on', {}], ['LSM_NO_FAST_PATH=1', { LSM_NO_FAST_PATH: '1' }]]) {
    it(`${label}: writeBuffer/writeFloatArray from a view over a raw segment truncated before the write (512 KiB and 1500 bytes, v2/v1/v0): ERR_SHM_FAULT, and a reader finds the old value or a repaired empty one`, () => {
      const cases = runScenario('source', env);
      assert.strictEqual(cases.length, 12);
      const wrong = cases.filter((c) => c.code !== 'ERR_SHM_FAULT' || (c.outcome !== 'old' && c.outcome !== 'repaired'));
      assert.deepStrictEqual(wrong, [], JSON.stringify(wrong, null, 1));
    });

    it(`${label}: a write into a segment cut under its 512 KiB payload (v2/v1/v0): ERR_SHM_FAULT, and once the size is back a reader finds a repaired empty value under a new revision, not the new bytes before zeros`, () => {
      const cases = runScenario('segment', env);
      assert.strictEqual(cases.length, 6);
      const wrong = cases.filter((c) => c.code !== 'ERR_SHM_FAULT' || c.outcome !== 'repaired');
      assert.deepStrictEqual(wrong, [], JSON.stringify(wrong, null, 1));
    });
  }
});
