// Contention on one v2 stream: three writer processes and three reader processes hammer the same
// segment with self-checking payloads (writer id, sequence number, random-length padding, CRC-32;
// test/fixtures/robust-payload.js) for more than 100 000 operations. Every read must verify (no
// torn read), each writer's sequence numbers must never go backwards in any reader, no process may
// crash, and the whole run is bounded by a timeout that fails with what was still running.
'use strict';
const assert = require('assert');
const { api, useSegments, readSegment, TIME_SCALE } = require('./helpers');
const { payloadWriter, verify } = require('./fixtures/robust-payload');
const { LoadProcess, withTimeout } = require('./fixtures/robust-harness');

const SEGMENT_SIZE = 65536;
const WRITERS = [1, 2, 3];
const WRITES_EACH = 50000;
const READER_MODES = ['readInto', 'read', 'readString'];
const MIN_READS_EACH = 10000;
const RUN_TIMEOUT_MS = 17000 * TIME_SCALE;

describe('90 contention: 3 writer and 3 reader processes on one v2 stream', function () {
  this.timeout(30000 * TIME_SCALE);
  const res = useSegments();
  const procs = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  it(`>= 100 000 writes + reads across 6 processes: zero torn reads, no sequence going backwards, no crash, no hang (bounded at ${RUN_TIMEOUT_MS} ms)`, async () => {
    const name = res.name('contention');
    const ctrlName = res.name('contention-ctrl');
    // The segment, with a first valid payload (writer 0: a string) so that no reader ever sees it empty.
    const writer0 = res.writer(name, SEGMENT_SIZE, true);
    writer0.writeString(payloadWriter(0, 16).next(0, 16).latin1Slice());
    const ctrl = api.SharedMemory.create(ctrlName, 64, { persistent: false });
    const words = new Int32Array(ctrl.buffer);
    try {
      const writers = WRITERS.map((id) => new LoadProcess(`writer ${id}`));
      const readers = READER_MODES.map((mode, i) => new LoadProcess(`reader ${i + 1} (${mode})`));
      procs.push(...writers, ...readers);
      await withTimeout(Promise.all(procs.map((p) => p.ready)), 10000, () => 'the processes did not start');

      const started = Date.now();
      const runs = [
        ...writers.map((p, i) => p.run({
          role: 'writer', name, size: SEGMENT_SIZE, ctrl: ctrlName, id: WRITERS[i], count: WRITES_EACH,
          // Mostly small payloads, every 50th close to the segment's capacity: long copies under the lock.
          maxPadding: 4096, bigPadding: SEGMENT_SIZE - 20 - 33, bigEvery: 50, seed: 1,
        })),
        ...readers.map((p, i) => p.run({
          role: 'reader', name, ctrl: ctrlName, id: i + 1, mode: READER_MODES[i], writers: WRITERS,
          minReads: MIN_READS_EACH, maxMs: RUN_TIMEOUT_MS - 2000,
        })),
      ];
      // Every process has its request; they start together when the go word is set.
      Atomics.store(words, 0, 1);
      const results = await withTimeout(Promise.all(runs), RUN_TIMEOUT_MS,
        () => `still running: ${procs.filter((p) => p.busy).map((p) => `${p.label} (pid ${p.pid})`).join(', ')}`);
      const elapsed = Date.now() - started;

      const ws = results.filter((r) => r.role === 'writer');
      const rs = results.filter((r) => r.role === 'reader');
      const writes = ws.reduce((n, r) => n + r.writes, 0);
      const reads = rs.reduce((n, r) => n + r.ops, 0);
      const torn = rs.reduce((n, r) => n + r.torn, 0);
      const backwards = rs.reduce((n, r) => n + r.backwards, 0);
      const errors = results.reduce((n, r) => n + r.errors.count, 0);
      const changes = rs.reduce((n, r) => n + r.changes, 0);
      const overlapping = rs.reduce((n, r) => n + r.opsWhileWriting, 0);
      console.log(`      contention: ${writes + reads} ops (${writes} writes + ${reads} reads) by ${procs.length} processes ` +
        `(${ws.length} writers, ${rs.length} readers) in ${elapsed} ms; torn = ${torn}, backwards = ${backwards}, ` +
        `reads while writers ran = ${overlapping}, ` +
        `errors = ${errors}, value changes seen by readers = ${changes}, longest read ${Math.max(...rs.map((r) => r.maxCallMs)).toFixed(1)} ms, ` +
        `longest write ${Math.max(...ws.map((r) => r.maxCallMs)).toFixed(1)} ms`);

      for (const r of results) {
        assert.strictEqual(r.errors.count, 0, `${r.role} ${r.id} had ${r.errors.count} errors: ${r.errors.first.join(' | ')}`);
      }
      for (const r of rs) {
        assert.strictEqual(r.torn, 0, `reader ${r.id} (${r.mode}) saw ${r.torn} torn payloads: ${r.tornSamples.join(' | ')}`);
        assert.strictEqual(r.backwards, 0, `reader ${r.id} saw sequences go backwards: ${r.backwardsSamples.join(' | ')}`);
        assert.strictEqual(r.empty, 0, `reader ${r.id} saw ${r.empty} empty values, but no writer died`);
        assert.strictEqual(r.typeMismatch, 0, `reader ${r.id}: read() returned a type that does not match the payload`);
        assert.strictEqual(r.timedOut, false, `reader ${r.id} gave up before the writers were done`);
        // The reads really overlapped the writes: each reader saw every writer and many changes.
        for (const w of WRITERS) assert.ok(r.seenPerWriter[w] > 0, `reader ${r.id} never saw writer ${w}`);
        assert.ok(r.changes >= 10, `reader ${r.id} saw only ${r.changes} different values`);
        assert.ok(r.opsWhileWriting >= 1000, `reader ${r.id} did only ${r.opsWhileWriting} reads while the writers ran`);
      }
      for (const w of ws) assert.strictEqual(w.writes, WRITES_EACH, `writer ${w.id} wrote ${w.writes}`);
      assert.ok(writes + reads >= 100000, `only ${writes + reads} operations`);
      assert.strictEqual(torn, 0);
      // Each writer's last payload was complete: the final value is one of them, and verifies.
      const image = readSegment(name);
      const last = verify(image.subarray(20, 20 + image.readUInt32LE(12)));
      assert.ok(!last.torn && WRITERS.includes(last.writer) && last.seq === WRITES_EACH - 1, `final value ${JSON.stringify(last)}`);
      // No crash: every process ends normally once its channel is closed.
      const exits = await withTimeout(Promise.all(procs.map((p) => p.end())), 5000, () => 'the processes did not exit');
      for (const [i, e] of exits.entries()) assert.deepStrictEqual(e, { code: 0, signal: null }, `${procs[i].label} ended with ${JSON.stringify(e)}`);
    } finally {
      ctrl.close();
    }
  });
});
