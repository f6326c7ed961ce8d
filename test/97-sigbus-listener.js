// process.on('SIGBUS') added after the module loaded replaces the handlers that turn a truncated
// segment's fault into ERR_SHM_FAULT (README, Limits): the module puts them back (48-sigbus-
// reinstall.js tests the faults), and only where it cannot (fast path off) warns (code
// SHM_SIGBUS_LISTENER) when the first listener is added and when the last one is removed. Run in
// child processes, so that this process keeps its handlers.
'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');

const MODULE = JSON.stringify(require.resolve('..'));

/** Runs script in a child; returns the warnings it saw, as { code, message }. */
function warningsOf(script, env = {}) {
  const child = spawnSync(process.execPath, ['-e', `
    const seen = [];
    process.on('warning', (w) => seen.push({ code: w.code, name: w.name, message: w.message }));
    ${script}
    setImmediate(() => process.stdout.write(JSON.stringify(seen)));
  `], { encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env } });
  assert.strictEqual(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

// Two SIGBUS listeners added after the module loaded, then both removed.
const TWO_LISTENERS_ON_AND_OFF = `
      require(${MODULE});
      const a = () => {}, b = () => {};
      process.on('SIGBUS', a);
      process.on('SIGBUS', b);
      process.off('SIGBUS', a);
      process.off('SIGBUS', b);
    `;

// POSIX signals: Windows has none of these.
function posixOnly(ctx) {
  if (process.platform === 'win32') {
    console.log('      skipped: Windows has no SIGBUS');
    ctx.skip();
  }
}

describe('97 SIGBUS listeners', () => {
  it("process.on('SIGBUS') after loading the module puts the fault handlers back without a warning", function () {
    posixOnly(this);
    const seen = warningsOf(TWO_LISTENERS_ON_AND_OFF);
    assert.deepStrictEqual(seen, []);
  });

  it("with the fast path off (LSM_NO_FAST_PATH=1), there is no guard to put back: process.on('SIGBUS') warns once (SHM_SIGBUS_LISTENER, naming the 100 % CPU spin); removing the last listener warns again", function () {
    posixOnly(this);
    const seen = warningsOf(TWO_LISTENERS_ON_AND_OFF, { LSM_NO_FAST_PATH: '1' });
    assert.deepStrictEqual(seen.map((w) => [w.name, w.code]), [['NodeSharedMemoryWarning', 'SHM_SIGBUS_LISTENER'], ['NodeSharedMemoryWarning', 'SHM_SIGBUS_LISTENER']]);
    assert.match(seen[0].message, /100 % CPU/);
    assert.match(seen[0].message, /ERR_SHM_FAULT/);
    assert.match(seen[1].message, /kills this process/);
  });

  it('no warning for other signals, nor for a SIGBUS listener added before the module was loaded (as long as it stays)', () => {
    const seen = warningsOf(`
      process.on('SIGBUS', () => {});
      require(${MODULE});
      process.on('SIGUSR2', () => {});
      process.on('SIGSEGV', () => {});
    `);
    assert.deepStrictEqual(seen, []);
  });
});
