// Issue 9 item 4: tens of thousands of open streams must not exhaust the process's map table
// (vm.max_map_count) or its descriptors until V8, libuv or a worker fails on its own: the open
// beyond the module's budget (half the table; for the presence descriptors of writable v2 streams,
// half the limit on open files) fails with a coded error, and the rest of the process keeps working.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { linuxOnly, segmentNames, removeSegmentFile } = require('./helpers');

const child = path.join(__dirname, 'fixtures', 'map-budget-child.js');

// Runs the child, removes what a dead child left (its segments are ours to remove), and returns
// what it printed.
function runChild(attempts, layout) {
  const run = spawnSync(process.execPath, [child, String(attempts), layout],
    { encoding: 'utf8', timeout: 170000, maxBuffer: 1 << 20 });
  const prefix = `mapbudget-${run.pid}-`;
  for (const name of segmentNames()) if (name.startsWith(prefix)) removeSegmentFile(name);
  assert.strictEqual(run.signal, null, `the child died of ${run.signal}: ${run.stderr.slice(-2000)}`);
  assert.strictEqual(run.status, 0, run.stderr.slice(-2000));
  return JSON.parse(run.stdout);
}

function assertStillWhole(out) {
  assert.strictEqual(out.buffers, 32 << 20);
  assert.strictEqual(out.timer, true);
  assert.strictEqual(out.worker, 42);
  assert.strictEqual(out.again, true, 'an open after closing everything');
}

describe('46 the map table and descriptor budgets', () => {
  it('opening streams until refused is ENOMEM from the open, and the process still allocates, runs timers and workers', function () {
    linuxOnly(this, 'vm.max_map_count is a Linux limit');
    this.timeout(180000);
    const maxMapCount = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    if (!(maxMapCount <= 1 << 20)) {
      console.log(`      SKIPPED: vm.max_map_count is ${maxMapCount}, too many segments to open in a test`);
      this.skip();
    }
    const out = runChild(maxMapCount + 100, 'v1');
    assert.strictEqual(out.code, 'ENOMEM', `no open was refused after ${out.opened} streams: ${out.message}`);
    assert.strictEqual(out.syscall, 'mmap');
    assert.match(out.message, /max_map_count/);
    assert.strictEqual(out.opened, Math.floor(maxMapCount / 2), 'the budget is half of vm.max_map_count');
    assertStillWhole(out);
  });

  it('writable v2 streams until refused: EMFILE from the open at half the limit on open files, and the process still works', function () {
    linuxOnly(this, 'the presence descriptors are Linux open-file-description locks');
    this.timeout(180000);
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)[1]);
    const maxMapCount = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    if (!(soft / 2 < maxMapCount / 2 && soft <= 1 << 18)) {
      console.log(`      SKIPPED: the open-files limit (${soft}) is not the smaller budget here, or too large to fill in a test`);
      this.skip();
    }
    const out = runChild(soft, 'v2');
    assert.strictEqual(out.code, 'EMFILE', `no open was refused after ${out.opened} streams: ${out.message}`);
    assert.strictEqual(out.syscall, 'open');
    assert.match(out.message, /ulimit -n/);
    assert.strictEqual(out.opened, Math.floor(soft / 2), 'the budget is half the limit on open files');
    assertStillWhole(out);
  });
});
