// Issue 9 item 14 (native part): process.on('SIGBUS') added after the module loaded installs
// libuv's handler over the fault guard's; the module puts its own back on top, so a stream call on
// a truncated segment throws ERR_SHM_FAULT instead of spinning at 100 % CPU, and a SIGBUS sent with
// kill() still reaches the listener. In child processes with a timeout: a spin fails the test.
'use strict';
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { linuxOnly, removeSegmentFile } = require('./helpers');

const child = path.join(__dirname, 'fixtures', 'sigbus-listener-child.js');
const FAULTS = [['readString', 'ERR_SHM_FAULT'], ['writeString', 'ERR_SHM_FAULT'], ['readBuffer', 'ERR_SHM_FAULT'],
  ['hasNewData', 'ERR_SHM_FAULT']];

function runChild(mode, env = {}) {
  const run = spawnSync(process.execPath, [child, mode],
    { encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env } });
  removeSegmentFile(`sigbus-listener-${run.pid}`);  // left behind by a child that spun or died
  assert.notStrictEqual(run.error && run.error.code, 'ETIMEDOUT', `the child spun until killed after 10 s: ${run.stderr}`);
  assert.strictEqual(run.signal, null, `the child died of ${run.signal}: ${run.stderr}`);
  assert.strictEqual(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

describe('48 a SIGBUS listener added after the module loaded', () => {
  it('stream calls on a truncated segment throw ERR_SHM_FAULT, and kill(SIGBUS) reaches the listener', function () {
    linuxOnly(this, 'truncates the segment file under /dev/shm');
    this.timeout(20000);
    const out = runChild('keep');
    assert.deepStrictEqual(out.calls, FAULTS);
    assert.strictEqual(out.listener, 1, 'the SIGBUS sent with kill() did not reach the listener');
    assert.deepStrictEqual(out.warnings, [], 'no warning when the handlers are back on top');
  });

  it('after the last listener is removed, the faults are still ERR_SHM_FAULT (not the default action)', function () {
    linuxOnly(this, 'truncates the segment file under /dev/shm');
    this.timeout(20000);
    const out = runChild('remove');
    assert.deepStrictEqual(out.calls, FAULTS);
    assert.deepStrictEqual(out.warnings, []);
  });
});
