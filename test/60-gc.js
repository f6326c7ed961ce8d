// Garbage collection (run in a child with --expose-gc, test/fixtures/gc.js): a stream dropped
// without close() is closed by its finalizer (removing a non-persistent segment), and opening and
// closing streams leaks neither file descriptors nor mappings.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { useSegments, segmentExists, linuxOnly } = require('./helpers');

const GC_SCRIPT = path.join(__dirname, 'fixtures', 'gc.js');

function runGc(scenario, name) {
  return new Promise((resolve, reject) => {
    const child = fork(GC_SCRIPT, [scenario, name], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let message = null;
    child.on('message', (m) => { message = m; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!message) reject(new Error(`gc.js ${scenario} exited (code ${code}, signal ${signal}) without a result`));
      else if (message.error) reject(new Error(`gc.js ${scenario}: ${message.error}`));
      else resolve(message.result);
    });
  });
}

describe('60 garbage collection and leaks (child with --expose-gc)', () => {
  before(function () {
    linuxOnly(this, 'gc.js counts the mappings in /proc/self/maps and the descriptors in /proc/self/fd');
  });
  const res = useSegments();

  it('a non-persistent writer dropped without close(): gc() and its finalizer remove the segment', async () => {
    const name = res.name();
    const r = await runGc('writer-non-persistent', name);
    assert.deepStrictEqual(r.before, { exists: true, mappings: 1 }, 'the writer was open before gc');
    assert.ok(r.rounds >= 0, `the segment was not removed after 200 rounds of gc(): ${JSON.stringify(r.after)}`);
    assert.deepStrictEqual(r.after, { exists: false, mappings: 0 });
    assert.ok(!segmentExists(name));
  });

  it('a non-persistent reader dropped without close(): the finalizer removes the segment', async () => {
    const name = res.name();
    const r = await runGc('reader-non-persistent', name);
    assert.deepStrictEqual(r.before, { exists: true, mappings: 1 });
    assert.ok(r.rounds >= 0, `not removed: ${JSON.stringify(r.after)}`);
    assert.ok(!segmentExists(name));
  });

  it('a persistent writer dropped without close(): the finalizer unmaps it and the segment stays', async () => {
    const name = res.name();
    const r = await runGc('writer-persistent', name);
    assert.deepStrictEqual(r.before, { exists: true, mappings: 1 });
    assert.ok(r.rounds >= 0, `the mapping was not released: ${JSON.stringify(r.after)}`);
    assert.deepStrictEqual(r.after, { exists: true, mappings: 0 });
    assert.ok(segmentExists(name));
  });

  it('opening and closing 2000 streams leaves /proc/self/fd and the mappings as they were', async () => {
    const name = res.name();
    const r = await runGc('open-close-2000', name);
    assert.strictEqual(r.before.mappings, 1, 'the probe sees its own mapping');
    assert.deepStrictEqual(r.after, r.before);
  });

  it('2000 streams dropped without close() are all unmapped by their finalizers, no fd left', async () => {
    const name = res.name();
    const r = await runGc('drop-2000', name);
    assert.ok(r.peak > r.before.mappings, `the dropped streams were never mapped? ${JSON.stringify(r)}`);
    assert.ok(r.rounds >= 0, `mappings left after gc: ${JSON.stringify(r)}`);
    assert.deepStrictEqual(r.after, r.before);
  });
});
