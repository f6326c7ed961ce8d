// worker_threads: each worker loads the addon into its own environment and opens its own streams
// (test/fixtures/peer.js as a Worker, driven by postMessage). The addon's state is per environment,
// and a worker torn down with open non-persistent streams removes their segments.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { api, useSegments, segmentExists, REMOVED_WHILE_MAPPED, notOnWindows, ON_WINDOWS } = require('./helpers');

describe('50 worker threads', () => {
  const res = useSegments();

  for (const layout of ['v2', 'v1', 'v0']) {
    it(`layout ${layout}: writer in one worker, reader in another`, async () => {
      const name = res.name();
      const [a, b] = await Promise.all([res.workerPeer(), res.workerPeer()]);
      const w = await a.call('open', { role: 'writer', name, size: 4096, persistent: false, options: { layout } });
      const r = await b.call('open', { role: 'reader', name, options: { layout } });
      assert.strictEqual(r.size, 4096);
      const cases = [
        ['string', 'ünïcödé across threads 😃'],
        ['string', ''],
        ['float', new Float32Array([1.25, -2.5, 1e10])],
        ['double', new Float64Array([Math.PI, -Math.E, 2 ** 60])],
        ['string', 'x'.repeat(4096 - (layout === 'v2' ? 20 : 5))],
      ];
      let flags = 0;
      for (const [kind, value] of cases) {
        await a.call('write', { id: w.id, kind, value });
        flags = (flags & 1 ^ 1) | { string: 2, float: 4, double: 8 }[kind];
        assert.deepStrictEqual(await b.call('read', { id: r.id, kind }), value);
        assert.strictEqual(await b.call('flags', { id: r.id }), flags);
      }
      // The main thread sees the same segment too.
      const mainReader = res.reader(name, undefined, true, { layout });
      assert.strictEqual(mainReader.readFlags(), flags);
      await a.call('close', { id: w.id });
      if (!REMOVED_WHILE_MAPPED) {
        // A named mapping lives while a thread maps it: b's reader and this one.
        await b.call('close', { id: r.id });
        mainReader.close();
      }
      assert.ok(!segmentExists(name), 'the worker closed its non-persistent writer');
    });
  }

  it('two workers and the main thread each hammer their own segment at the same time, without interference', async () => {
    const [a, b] = await Promise.all([res.workerPeer(), res.workerPeer()]);
    const iterations = 3000;
    const pa = a.call('hammer', { name: res.name(), layout: 'v2', iterations, tag: 'worker-a' });
    const pb = b.call('hammer', { name: res.name(), layout: 'v1', iterations, tag: 'worker-b' });
    // The main thread does the same meanwhile, with its own addon instance.
    const name = res.name();
    const writer = res.writer(name, 8192, false, { layout: 'v0' });
    const reader = res.reader(name, undefined, true, { layout: 'v0' });
    let mismatches = 0;
    for (let i = 0; i < iterations; i++) {
      const s = `main:${i}:${'ß'.repeat(i % 89)}`;
      writer.writeString(s);
      if (reader.readString() !== s) mismatches++;
    }
    const [ra, rb] = await Promise.all([pa, pb]);
    assert.notStrictEqual(ra.threadId, rb.threadId);
    assert.deepStrictEqual([ra.mismatches, rb.mismatches, mismatches], [0, 0, 0]);
    assert.deepStrictEqual([ra.iterations, rb.iterations], [iterations, iterations]);
  });

  it('terminate() of a worker with an unclosed non-persistent writer removes the segment', async () => {
    const name = res.name();
    const worker = await res.workerPeer();
    const w = await worker.call('open', { role: 'writer', name, size: 4096, persistent: false });
    await worker.call('write', { id: w.id, kind: 'string', value: 'going away' });
    assert.ok(segmentExists(name));
    await worker.kill(); // Worker.terminate()
    assert.ok(worker.exitInfo, 'the worker exited');
    assert.ok(!segmentExists(name), 'the terminated worker left its non-persistent segment behind');
  });

  it('terminate() of a worker with an unclosed non-persistent reader removes the segment; persistent ones stay', async function () {
    notOnWindows(this, ON_WINDOWS.deletePending);
    const gone = res.name();
    const kept = res.name();
    res.writer(gone, 4096, true);
    res.writer(kept, 4096, true);
    const worker = await res.workerPeer();
    await worker.call('open', { role: 'reader', name: gone, persistent: false });
    await worker.call('open', { role: 'reader', name: kept, persistent: true });
    await worker.kill();
    assert.ok(!segmentExists(gone), 'the non-persistent reader\'s segment was not removed');
    assert.ok(segmentExists(kept), 'a persistent reader\'s segment was removed');
  });

  for (const how of ['drain', 'exit']) {
    it(`a worker that ends by itself (${how === 'drain' ? 'event loop drained' : 'process.exit() in the worker'}) removes its unclosed non-persistent segment`, async () => {
      const name = res.name();
      const worker = await res.workerPeer();
      await worker.call('open', { role: 'writer', name, size: 4096, persistent: false });
      const exit = await worker.end(how, { code: 0 });
      assert.strictEqual(exit.code, 0);
      assert.ok(!segmentExists(name), 'the worker left its non-persistent segment behind');
    });
  }

  it("a worker's teardown closes only its own streams: the main thread's streams keep working", async () => {
    const name = res.name();
    const mainWriter = res.writer(name, 4096, false);
    const mainReader = res.reader(name);
    for (let round = 0; round < 3; round++) {
      const worker = await res.workerPeer();
      // The worker opens (and leaves open) streams of the same segment; handles are allocated in
      // the same process-wide engine, so a teardown that closed the wrong ones would show here.
      for (let i = 0; i < 5; i++) await worker.call('open', { role: 'reader', name, persistent: true });
      await worker.call('open', { role: 'writer', name: res.name(), size: 64, persistent: false });
      await worker.kill();
      mainWriter.writeString(`round ${round}`);
      assert.strictEqual(mainReader.readString(), `round ${round}`);
      assert.ok(segmentExists(name));
    }
    mainWriter.close();
    if (!REMOVED_WHILE_MAPPED) mainReader.close();
    assert.ok(!segmentExists(name));
  });

  // Node frees an addon once no environment has it; the Go library must stay (on Windows it was
  // unloaded with the addon, and the next exception anywhere in the process ran freed code).
  it('a process whose only users of the module were workers that ended lives on and handles exceptions (child process)', async () => {
    const name = res.name();
    const child = fork(path.join(__dirname, 'fixtures', 'worker-only-user.js'), [name], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    let message = null;
    child.on('message', (m) => { message = m; });
    // 'exit', not 'close': a child that crashed under Wine may leave its pipes open.
    const exit = await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    assert.deepStrictEqual(exit, { code: 0, signal: null }, `the child ended with ${JSON.stringify(exit)}; stderr:\n${stderr}`);
    assert.deepStrictEqual(message, { wasm: 'RuntimeError' });
  });

  it('streams opened in the main thread after workers came and went get fresh, working handles', async () => {
    const workers = await Promise.all([res.workerPeer(), res.workerPeer()]);
    const names = [res.name(), res.name()];
    await Promise.all(workers.map((w, i) => w.call('open', { role: 'writer', name: names[i], size: 64, persistent: false })));
    await Promise.all(workers.map((w) => w.kill()));
    for (const n of names) assert.ok(!segmentExists(n));
    const name = res.name();
    const writer = res.writer(name, 64, false);
    writer.writeDoubleArray(new Float64Array([1, 2]));
    assert.deepStrictEqual(Array.from(res.reader(name).readDoubleArray()), [1, 2]);
    assert.strictEqual(api.kMemoryChanged, 1);
  });
});
