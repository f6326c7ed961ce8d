// The C fast path of stream writes, reads and flags (goshm/cabi/fast.c) and its fault guard.
// Every stream test of the suite already goes through the fast path; these aim at what is
// particular to it: (a) a segment truncated and restored by another process during a tight loop of
// fast-path calls (the guard: the process lives, calls throw ERR_SHM_FAULT, no lock left held);
// (b) fast-path writers and readers in several processes together with engine-only ones
// (LSM_NO_FAST_PATH=1): zero torn reads (test/90-contention.js does the heavy version); (c) faults
// that are not ours still reach the handlers behind the guard (V8's WebAssembly trap handler, the
// default action for a SIGSEGV sent with kill() or a SIGBUS through a raw segment's .buffer), with
// the same outcome as without the fast path; (d) faults met by the Go engine are still ERR_SHM_FAULT.
'use strict';
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { useSegments, truncateSegment, removeSegmentFile, readSegment, notOnWindows, ON_WINDOWS } = require('./helpers');
const { payloadWriter } = require('./fixtures/robust-payload');
const { LoadProcess, withTimeout } = require('./fixtures/robust-harness');
const api = require('..');

const CHILD = path.join(__dirname, 'fixtures', 'fastpath-child.js');

/** Runs the child in a mode; resolves with { code, signal, lines (parsed JSON), stderr }. */
function runChild(mode, args, { env = {}, whileRunning } = {}) {
  const child = spawn(process.execPath, [CHILD, mode, JSON.stringify(args)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onLine;
  const firstLine = new Promise((resolve) => { onLine = resolve; });
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.includes('\n')) onLine();
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  exited.then(onLine);
  const side = whileRunning ? firstLine.then(() => whileRunning(exited)) : Promise.resolve();
  return Promise.all([exited, side]).then(([{ code, signal }]) => ({
    code,
    signal,
    stderr,
    lines: stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)),
  }));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('96 fast path: C stream operations and their fault guard', function () {
  this.timeout(60000);
  const res = useSegments();

  describe('(a) a segment truncated and restored in a loop under tight fast-path writes and reads', () => {
    before(function () { notOnWindows(this, ON_WINDOWS.truncate); });
    for (const layout of ['v2', 'v1', 'v0']) {
      it(`layout ${layout}: the process lives, every failing call is ERR_SHM_FAULT, no lock is left held (5 rounds)`, async () => {
        let faults = 0;
        let fastFaults = 0;
        let ok = 0;
        for (let round = 0; round < 5; round++) {
          const name = res.name(`trunc-${layout}`);
          const w = res.writer(name, 8192, true, { layout });
          w.writeString('start');
          let truncations = 0;
          const result = await runChild('hammer', { name, layout, ms: 250 }, {
            // This process is the "other process": it cuts the segment to 0 and gives its size
            // back as fast as it can, until the child is done.
            whileRunning: async (exited) => {
              let done = false;
              exited.then(() => { done = true; });
              while (!done) {
                truncateSegment(name, 0);
                truncations++;
                await tick();
                truncateSegment(name, 8192);
                await tick();
              }
            },
          });
          assert.strictEqual(result.signal, null, `round ${round}: the child died of ${result.signal}: ${result.stderr}`);
          assert.strictEqual(result.code, 0, `round ${round}: exit code ${result.code}: ${result.stderr}`);
          const report = result.lines.find((l) => l.counts);
          assert.ok(report, `round ${round}: no report: ${result.stderr}`);
          assert.deepStrictEqual(report.other, [], `round ${round}: errors other than ERR_SHM_FAULT`);
          faults += report.counts.faults;
          fastFaults += report.counts.fastFaults;
          ok += report.counts.ok;
          assert.ok(truncations > 0);
          if (layout === 'v2') {
            assert.strictEqual(readSegment(name).readUInt32LE(16), 0, `round ${round}: the v2 lock word was left held`);
          }
          // The segment works again for everyone.
          w.writeString(`round ${round}`);
          assert.strictEqual(res.reader(name, undefined, true, { layout }).readString(), `round ${round}`);
        }
        console.log(`      ${layout}: ${ok} calls succeeded, ${faults} threw ERR_SHM_FAULT (${fastFaults} of them fast-path calls)`);
        assert.ok(faults > 0, 'no call ever met the truncated segment: the test did not test anything');
        assert.ok(ok > 0, 'no call ever succeeded');
      });
    }
  });

  describe('(a) the same for queues (goshm/cabi/fast_queue.c)', () => {
    before(function () { notOnWindows(this, ON_WINDOWS.truncate); });
    for (const layout of ['v2', 'v1']) {
      it(`layout ${layout}: the process lives, every failing call is ERR_SHM_FAULT, no lock is left held (5 rounds)`, async () => {
        let faults = 0;
        let ok = 0;
        for (let round = 0; round < 5; round++) {
          const name = res.name(`qtrunc-${layout}`);
          const q = new api.NodeSharedMemoryQueue(name, 16, 4000, true, true, { layout });
          const size = q.byteLength;
          let done = false;
          try {
            const result = await runChild('queueHammer', { name, layout, ms: 250 }, {
              whileRunning: async (exited) => {
                exited.then(() => { done = true; });
                while (!done) {
                  truncateSegment(name, 0);
                  await tick();
                  truncateSegment(name, size);
                  await tick();
                }
              },
            });
            assert.strictEqual(result.signal, null, `round ${round}: the child died of ${result.signal}: ${result.stderr}`);
            assert.strictEqual(result.code, 0, `round ${round}: exit code ${result.code}: ${result.stderr}`);
            const report = result.lines.find((l) => l.counts);
            assert.ok(report, `round ${round}: no report: ${result.stderr}`);
            // A restore that lands between an operation's index store and its count update (the
            // file comes back all zero) leaves a count no queue can have, which the engine reports
            // the same way with or without the fast path: the header the truncation tore.
            const torn = /^ERR_SHM_LAYOUT: queue .* has an inconsistent header: count \d+ exceeds capacity 16$/;
            assert.deepStrictEqual(report.other.filter((e) => !torn.test(e)), [], `round ${round}: errors other than ERR_SHM_FAULT`);
            faults += report.counts.faults;
            ok += report.counts.ok;
            if (layout === 'v2') {
              const b = readSegment(name);
              assert.deepStrictEqual([b.readUInt32LE(20), b.readUInt32LE(24)], [0, 0], `round ${round}: a lock was left held`);
            }
            // The queue works again for everyone, once its header is whole again (all zero).
            truncateSegment(name, 0);
            truncateSegment(name, size);
            assert.strictEqual(q.enqueue(`round ${round}`), true);
            assert.strictEqual(q.dequeue(), `round ${round}`);
          } finally {
            q.close();
          }
        }
        assert.ok(faults > 0, 'no call ever met the truncated segment: the test did not test anything');
        assert.ok(ok > 0, 'no call ever succeeded');
      });
    }
  });

  describe('(b) fast-path and engine-only processes on one v2 stream', () => {
    const procs = [];
    afterEach(async () => {
      await Promise.all(procs.splice(0).map((p) => p.kill()));
    });

    it('2 writers and 2 readers, one of each with LSM_NO_FAST_PATH=1: zero torn reads, no sequence going backwards', async () => {
      const SIZE = 8192;
      const name = res.name('mixed');
      const ctrlName = res.name('mixed-ctrl');
      const writer0 = res.writer(name, SIZE, true);
      writer0.writeString(payloadWriter(0, 16).next(0, 16).latin1Slice());
      const ctrl = api.SharedMemory.create(ctrlName, 64, { persistent: false });
      const words = new Int32Array(ctrl.buffer);
      const saved = process.env.LSM_NO_FAST_PATH;
      const spawnLoad = (label, slow) => {
        if (slow) process.env.LSM_NO_FAST_PATH = '1';
        else delete process.env.LSM_NO_FAST_PATH;
        try {
          return new LoadProcess(label);
        } finally {
          if (saved === undefined) delete process.env.LSM_NO_FAST_PATH;
          else process.env.LSM_NO_FAST_PATH = saved;
        }
      };
      try {
        const writers = [spawnLoad('writer 1 (fast path)', false), spawnLoad('writer 2 (engine only)', true)];
        const readers = [spawnLoad('reader 1 (fast path)', false), spawnLoad('reader 2 (engine only)', true)];
        procs.push(...writers, ...readers);
        await withTimeout(Promise.all(procs.map((p) => p.ready)), 10000, () => 'the processes did not start');
        const runs = [
          // Payloads up to ~2 KiB: the fast path copies them; every 40th is near the segment's
          // capacity, which the fast path leaves to the engine.
          ...writers.map((p, i) => p.run({
            role: 'writer', name, size: SIZE, ctrl: ctrlName, id: i + 1, count: 20000,
            maxPadding: 1900, bigPadding: SIZE - 20 - 33, bigEvery: 40, seed: 7,
          })),
          ...readers.map((p, i) => p.run({
            role: 'reader', name, ctrl: ctrlName, id: i + 1, mode: i === 0 ? 'readString' : 'readInto', writers: [1, 2],
            minReads: 5000, maxMs: 10000,
          })),
        ];
        Atomics.store(words, 0, 1);
        const results = await withTimeout(Promise.all(runs), 20000,
          () => `still running: ${procs.filter((p) => p.busy).map((p) => p.label).join(', ')}`);
        for (const r of results) {
          assert.strictEqual(r.errors.count, 0, `${r.role} ${r.id}: ${r.errors.first.join(' | ')}`);
        }
        for (const r of results.filter((x) => x.role === 'reader')) {
          assert.strictEqual(r.torn, 0, `reader ${r.id} saw torn payloads: ${r.tornSamples.join(' | ')}`);
          assert.strictEqual(r.backwards, 0, `reader ${r.id}: ${r.backwardsSamples.join(' | ')}`);
          assert.ok(r.ops >= 5000, `reader ${r.id} read only ${r.ops} times`);
        }
        for (const p of procs) assert.strictEqual(p.exitInfo, null, `${p.label} exited`);
      } finally {
        ctrl.close();
      }
    });
  });

  describe('(c) faults that are not the guard\'s reach the handlers behind it, as without the fast path', () => {
    before(function () { notOnWindows(this, ON_WINDOWS.signals); });
    for (const fast of [true, false]) {
      const env = fast ? {} : { LSM_NO_FAST_PATH: '1' };
      const how = fast ? 'fast path in use' : 'LSM_NO_FAST_PATH=1';

      it(`${how}: a WebAssembly out-of-bounds load (a real SIGSEGV) is V8's RuntimeError; kill(SIGSEGV) ends the process with SIGSEGV`, async () => {
        const result = await runChild('foreignSegv', { name: res.name('segv') }, { env });
        assert.strictEqual(result.signal, 'SIGSEGV', `exit ${result.code}/${result.signal}: ${result.stderr}`);
        const [seen, survived] = result.lines;
        assert.strictEqual(seen.installed, 'installs the handler');
        assert.strictEqual(seen.wasm, 'RuntimeError: memory access out of bounds');
        assert.strictEqual(seen.inBounds, 0);
        assert.strictEqual(survived, undefined);
      });

      it(`${how}: a load through a truncated raw segment's .buffer (SIGBUS outside any guard) ends the process with SIGBUS`, async () => {
        const raw = res.name('raw');
        try {
          const result = await runChild('foreignBus', { name: res.name('bus'), raw }, { env });
          assert.strictEqual(result.signal, 'SIGBUS', `exit ${result.code}/${result.signal}: ${result.stderr}`);
          assert.deepStrictEqual(result.lines, [{ installed: 'installs the handler', before: true }]);
        } finally {
          removeSegmentFile(raw); // the child died holding it
        }
      });
    }
  });

  describe('(d) faults met by the Go engine behind the guard, and faults in the caller\'s buffer', () => {
    before(function () { notOnWindows(this, ON_WINDOWS.truncate); });
    it('a view over a truncated raw segment as the source of a write and the target of a read: ERR_SHM_FAULT, as the engine reports it', async () => {
      const name = res.name('callerbuf');
      const raw = res.name('callerbuf-raw');
      try {
        for (const env of [{}, { LSM_NO_FAST_PATH: '1' }]) {
          const result = await runChild('callerBuffer', { name, raw }, { env });
          assert.strictEqual(result.signal, null, `${JSON.stringify(env)}: died of ${result.signal}: ${result.stderr}`);
          assert.deepStrictEqual(result.lines, [{
            codes: {
              'writeBuffer(view over the truncated segment)': 'ERR_SHM_FAULT',
              'readInto(view over the truncated segment)': 'ERR_SHM_FAULT',
              after: 'fast',
            },
          }], JSON.stringify(env));
          removeSegmentFile(raw);
        }
      } finally {
        removeSegmentFile(raw);
      }
    });

    it('C-path and Go-path stream calls and queue calls on truncated segments all throw ERR_SHM_FAULT', async () => {
      const name = res.name('gofault');
      const qname = res.name('gofault-q');
      try {
        const result = await runChild('goFault', { name, qname });
        assert.strictEqual(result.signal, null, result.stderr);
        assert.strictEqual(result.code, 0, result.stderr);
        const { codes } = result.lines[0];
        for (const [call, code] of Object.entries(codes)) assert.strictEqual(code, 'ERR_SHM_FAULT', call);
        assert.strictEqual(Object.keys(codes).length, 8);
      } finally {
        removeSegmentFile(name);
        removeSegmentFile(qname);
      }
    });
  });
});
