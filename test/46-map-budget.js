// Issue 9 item 4: tens of thousands of open streams must not fill the process's map table
// (vm.max_map_count) until V8 aborts on its own next mmap; the open beyond the module's budget
// (half the table) fails with ENOMEM and the rest of the process keeps working.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { linuxOnly } = require('./helpers');

const child = path.join(__dirname, 'fixtures', 'map-budget-child.js');

describe('46 the map table budget', () => {
  it('opening streams until refused is ENOMEM from the open, and the process still allocates, runs timers and workers', function () {
    linuxOnly(this, 'vm.max_map_count is a Linux limit');
    this.timeout(180000);
    const maxMapCount = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    if (!(maxMapCount <= 1 << 20)) {
      console.log(`      SKIPPED: vm.max_map_count is ${maxMapCount}, too many segments to open in a test`);
      this.skip();
    }
    const run = spawnSync(process.execPath, [child, String(maxMapCount + 100)],
      { encoding: 'utf8', timeout: 170000, maxBuffer: 1 << 20 });
    // A child that died left its non-persistent segments behind; they are ours to remove.
    const prefix = `mapbudget-${run.pid}-`;
    for (const f of fs.readdirSync('/dev/shm')) if (f.startsWith(prefix)) fs.unlinkSync(path.join('/dev/shm', f));
    assert.strictEqual(run.signal, null, `the child died of ${run.signal}: ${run.stderr.slice(-2000)}`);
    assert.strictEqual(run.status, 0, run.stderr.slice(-2000));
    const out = JSON.parse(run.stdout);
    assert.strictEqual(out.code, 'ENOMEM', `no open was refused after ${out.opened} streams: ${out.message}`);
    assert.strictEqual(out.syscall, 'mmap');
    assert.match(out.message, /max_map_count/);
    assert.strictEqual(out.opened, Math.floor(maxMapCount / 2), 'the budget is half of vm.max_map_count');
    assert.strictEqual(out.buffers, 32 << 20);
    assert.strictEqual(out.timer, true);
    assert.strictEqual(out.worker, 42);
    assert.strictEqual(out.again, true, 'an open after closing everything');
  });
});
