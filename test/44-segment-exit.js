// What happens to a non-persistent raw segment (SharedMemory, persistent: false) whose process or
// thread ends without close() (issue 11 item 6): it is removed, as non-persistent streams and
// queues are (test/45-exit.js), whether made by create() or open(), whatever the way the process or
// worker ends; a persistent one stays. A signal whose default action kills the process (Ctrl+C's
// SIGINT, SIGTERM) runs no JavaScript, so nothing is removed then, unless the application turns the
// signal into process.exit() (README, Raw segments), which this file checks with real signals.
// The child is test/fixtures/segment-exit.js.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { useSegments, segmentExists, notOnWindows, ON_WINDOWS } = require('./helpers');

const FIXTURE = path.join(__dirname, 'fixtures', 'segment-exit.js');

describe('44 a process or thread ending with open non-persistent raw segments', () => {
  const res = useSegments();

  // Runs the fixture until it exits; `signal` is sent once the segments exist.
  async function run(how, { signal } = {}) {
    const names = { created: res.name('created'), opened: res.name('opened'), kept: res.name('kept') };
    const child = fork(FIXTURE, [JSON.stringify(names), how], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const messages = [];
    let made = false;
    const exited = new Promise((resolve) => child.once('close', (code, sig) => resolve({ code, signal: sig })));
    await new Promise((resolve, reject) => {
      child.on('message', (msg) => {
        messages.push(msg);
        if (msg === 'made') {
          made = true;
          for (const n of Object.values(names)) {
            if (!how.startsWith('worker-') && !segmentExists(n)) reject(new Error(`the child did not make ${n}`));
          }
          if (!how.startsWith('worker-')) child.send('end');
          resolve();
        }
      });
      exited.then((info) => { if (!made) reject(new Error(`the child exited first: ${JSON.stringify(info)} ${stderr}`)); });
    });
    // The child's signal listener, if any, was added before it reported 'made'.
    if (signal) child.kill(signal);
    const exit = await exited;
    const report = messages.find((m) => m && typeof m === 'object');
    return { names, exit, stderr, left: report ? report.left : null };
  }

  function assertRemoved(names, what) {
    assert.strictEqual(segmentExists(names.created), false, `${what} left the created non-persistent segment`);
    assert.strictEqual(segmentExists(names.opened), false, `${what} left the opened non-persistent segment`);
    assert.strictEqual(segmentExists(names.kept), true, `${what} removed a persistent segment`);
  }

  it('natural exit (event loop drained): create() and open() with persistent: false are removed, a persistent one stays', async () => {
    const { names, exit } = await run('drain');
    assert.deepStrictEqual(exit, { code: 0, signal: null });
    assertRemoved(names, 'a natural exit');
  });

  it('process.exit(0): removed', async () => {
    const { names, exit } = await run('exit');
    assert.deepStrictEqual(exit, { code: 0, signal: null });
    assertRemoved(names, 'process.exit()');
  });

  it('an uncaught exception and an unhandled rejection: removed', async () => {
    for (const how of ['throw', 'reject']) {
      const { names, exit, stderr } = await run(how);
      assert.strictEqual(exit.code, 1, `${how}: ${stderr}`);
      assert.match(stderr, /on purpose/);
      assertRemoved(names, how);
    }
  });

  for (const how of ['worker-drain', 'worker-exit', 'worker-terminate']) {
    it(`a worker that ends (${how.slice(7)}) while its process lives on: removed when the worker ends`, async () => {
      const { names, exit, left } = await run(how);
      assert.deepStrictEqual(exit, { code: 0, signal: null });
      assert.deepStrictEqual(left, [names.kept], 'segments left once the worker had ended, the process still running');
    });
  }

  it('SIGINT (Ctrl+C) or SIGTERM with no listener: the process dies of the signal and no JavaScript runs, so the segments stay', async () => {
    for (const signal of ['SIGINT', 'SIGTERM']) {
      const { names, exit } = await run('wait', { signal });
      assert.deepStrictEqual(exit, { code: null, signal });
      assert.strictEqual(segmentExists(names.created), true, `${signal}: the README says these stay; update it`);
      assert.strictEqual(segmentExists(names.opened), true);
    }
  });

  it("process.on('SIGINT', () => process.exit(130)) (and the same for SIGTERM): a real signal then removes them", async function () {
    notOnWindows(this, ON_WINDOWS.signals);
    for (const [how, signal, code] of [['sigint-exit', 'SIGINT', 130], ['sigterm-exit', 'SIGTERM', 143]]) {
      const { names, exit } = await run(how, { signal });
      assert.deepStrictEqual(exit, { code, signal: null });
      assertRemoved(names, `${signal} turned into process.exit(${code})`);
    }
  });
});
