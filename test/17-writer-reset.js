// Issue 11 item 1: a new writer starts from a new segment's header, as in node-libsharedmemory 0.0.9
// and libsharedmemory 2.x, whose writers made a new segment: flags 0 and size 0 (v0: every size
// field), so the original's flag sequences come out the same on a persistent segment left by an
// earlier run, or when a second writer is made on the name. Here the reset is made in place (under
// the v2 write lock): readers already attached stay attached and see it. In v2 the revision moves on
// and the ack is set equal to it (a new segment's isMessageRead() is true). options.reset false
// attaches keeping the value; readers never reset; a queue writer does not reset (README Decisions).
'use strict';
const assert = require('assert');
const { api, useSegments, readSegment, pokeSegment, u32, thrown } = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue } = api;
const C = require('../lib/native').constants;

const SIZE = 256;
const LAYOUTS = ['v2', 'v1', 'v0'];

// The flag sequence of the original (SPEC §2.1): each write toggles kMemoryChanged and sets its type bit.
const SEQUENCE = [
  ['string', 'one', 0b011],
  ['string', 'two', 0b010],
  ['float', new Float32Array([1.5, 2.5]), 0b101],
  ['double', new Float64Array([3.25]), 0b1000],
  ['string', 'three', 0b011],
];

function write(w, kind, value) {
  if (kind === 'string') w.writeString(value);
  else if (kind === 'float') w.writeFloatArray(value);
  else w.writeDoubleArray(value);
}

/** Runs SEQUENCE with writer w, returning readFlags() after each write. */
function runSequence(w) {
  return SEQUENCE.map(([kind, value]) => {
    write(w, kind, value);
    return w.readFlags();
  });
}

const EXPECTED = SEQUENCE.map(([, , flags]) => flags);

describe('17 a new writer resets the header (issue 11 item 1)', function () {
  this.timeout(20000);
  const res = useSegments();

  for (const layout of LAYOUTS) {
    describe(`layout ${layout}`, () => {
      it('the original\'s flag sequence, run twice on one persistent name by two writers in a row: the same both times', () => {
        const name = res.name(`seq-${layout}`);
        for (let run = 0; run < 2; run++) {
          const w = new Writer(name, SIZE, true, { layout });
          try {
            assert.strictEqual(w.readFlags(), 0, `run ${run}: a new writer's flags`);
            assert.deepStrictEqual(runSequence(w), EXPECTED, `run ${run}`);
          } finally {
            w.close();
          }
        }
      });

      it('a second writer made while the first is still open resets, and its sequence is the original\'s', () => {
        const name = res.name(`second-${layout}`);
        const first = res.writer(name, SIZE, true, { layout });
        assert.deepStrictEqual(runSequence(first), EXPECTED, 'first writer');
        const second = res.writer(name, SIZE, true, { layout });
        assert.strictEqual(first.readFlags(), 0, 'the first writer sees the reset header');
        assert.deepStrictEqual(runSequence(second), EXPECTED, 'second writer');
        // The first writer goes on from where the second left it: the same segment, toggled.
        first.writeString('first again');
        assert.strictEqual(second.readFlags(), 0b010);
      });

      it('the sequence run twice across processes (a child process per run, one persistent name)', async () => {
        const name = res.name(`procs-${layout}`);
        for (let run = 0; run < 2; run++) {
          const peer = await res.forkPeer();
          const { id } = await peer.call('open', { role: 'writer', name, size: SIZE, persistent: true, options: { layout } });
          const seen = [await peer.call('flags', { id })];
          for (const [kind, value] of SEQUENCE) {
            await peer.call('write', { id, kind, value });
            seen.push(await peer.call('flags', { id }));
          }
          await peer.call('close', { id });
          await peer.end();
          assert.deepStrictEqual(seen, [0, ...EXPECTED], `run ${run} in process ${peer.pid}`);
        }
      });

      it('a reader attached before the second writer stays attached: it sees the reset (empty, flags 0), then the new values', () => {
        const name = res.name(`reader-${layout}`);
        const first = res.writer(name, SIZE, true, { layout });
        first.writeDoubleArray(new Float64Array([1, 2, 3]));
        const reader = res.reader(name, undefined, true, { layout });
        assert.deepStrictEqual(reader.readDoubleArray(), new Float64Array([1, 2, 3]));
        const second = res.writer(name, SIZE, true, { layout });
        assert.strictEqual(reader.readFlags(), 0);
        assert.strictEqual(reader.readString(), '');
        assert.strictEqual(reader.readFloatArray().length, 0);
        assert.strictEqual(reader.readDoubleArray().length, 0, 'every size field of the layout is 0');
        assert.strictEqual(reader.read(), null, 'nothing written');
        second.writeString('new');
        assert.strictEqual(reader.readString(), 'new');
        assert.strictEqual(reader.readFlags(), 0b011);
      });

      it('options.reset false attaches keeping the value and the flags (today\'s plain attach)', () => {
        const name = res.name(`keep-${layout}`);
        const first = res.writer(name, SIZE, true, { layout });
        first.writeString('kept');
        const before = readSegment(name);
        const second = res.writer(name, SIZE, true, { layout, reset: false });
        assert.ok(readSegment(name).equals(before), 'reset: false changes no byte');
        second.writeString('next');
        assert.strictEqual(second.readFlags(), 0b010, 'the sequence goes on from the kept flags');
      });

      it('readers never reset, and do not take options.reset', () => {
        const name = res.name(`noreset-${layout}`);
        res.writer(name, SIZE, true, { layout }).writeString('stays');
        const before = readSegment(name);
        res.reader(name, undefined, true, { layout });
        assert.ok(readSegment(name).equals(before));
        const err = thrown(() => new Reader(name, undefined, true, { layout, reset: false }));
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE');
        assert.match(err.message, /reset/);
        assert.ok(readSegment(name).equals(before));
      });
    });
  }

  describe('layout v2 specifics', () => {
    it('the reset is a new revision with ack equal to it: attached readers see news, the writer\'s isMessageRead() is true, lock and hints are left as they were', () => {
      const name = res.name('v2-revision');
      const first = res.writer(name, SIZE);
      first.writeString('a');
      first.writeString('b');
      const reader = res.reader(name);
      assert.strictEqual(reader.readString(), 'b');
      assert.strictEqual(reader.hasNewData(), false);
      const revision = reader.revision;
      assert.strictEqual(first.isMessageRead(), false);
      const second = res.writer(name, SIZE);
      const b = readSegment(name);
      assert.strictEqual(b[0], 0, 'flags');
      assert.strictEqual(b.readUInt32LE(C.V2_DATA - 8), 0, 'size');
      assert.strictEqual(b.readUInt32LE(C.V2_DATA - 4), 0, 'lock released');
      assert.strictEqual(b.readUInt32LE(C.V2_DATA - 16), revision + 1, 'revision moved on, not back to 0');
      assert.strictEqual(b.readUInt32LE(C.V2_DATA - 12), revision + 1, 'ack = revision');
      assert.strictEqual(second.revision, revision + 1);
      assert.strictEqual(second.isMessageRead(), true, 'as on a new segment');
      assert.strictEqual(reader.hasNewData(), true, 'the reset is news to an attached reader');
      assert.strictEqual(reader.read(), null);
      assert.strictEqual(reader.hasNewData(), false);
      second.writeString('c');
      assert.strictEqual(second.isMessageRead(), false);
      assert.strictEqual(reader.revision, revision + 2);
    });

    it('a reader whose last read was revision 0 still sees the reset as news (the revision never goes back)', () => {
      const name = res.name('v2-zero');
      res.writer(name, SIZE);
      const reader = res.reader(name);
      assert.strictEqual(reader.read(), null);
      assert.strictEqual(reader.revision, 0);
      res.writer(name, SIZE);
      assert.strictEqual(reader.hasNewData(), true);
    });

    it('watchers are woken as by a write: a pending waitForChange() resolves with null, waitForRead() with the ack', async () => {
      const name = res.name('v2-wake');
      const first = res.writer(name, SIZE);
      first.writeString('x');
      const reader = res.reader(name, undefined, true, { pollInterval: 10000 });
      reader.read();
      const changed = reader.waitForChange({ timeout: 5000 });
      const acked = first.waitForRead({ timeout: 5000 });
      const t0 = Date.now();
      res.writer(name, SIZE);
      assert.strictEqual(await changed, null);
      await acked;
      assert.ok(Date.now() - t0 < 2000, 'woken, not found by the (10 s) poll');
    });

    it('a new segment needs no reset: revision 0, as the C++ library\'s stream-fresh.bin', () => {
      const name = res.name('v2-fresh');
      res.writer(name, 64);
      assert.ok(readSegment(name).equals(Buffer.alloc(64)));
    });

    it('a watcher hint byte set by a waiting reader is kept (it belongs to the watcher)', async () => {
      const name = res.name('v2-hint');
      res.writer(name, SIZE).writeString('x');
      const reader = res.reader(name, undefined, true, { pollInterval: 10000 });
      reader.read();
      const changed = reader.waitForChange({ timeout: 5000 });
      // The watcher sets its hint before it sleeps; give it the moment it needs.
      for (let i = 0; i < 200 && readSegment(name)[1] === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.strictEqual(readSegment(name)[1], 1, 'the revision hint is set while the watcher waits');
      const second = res.writer(name, SIZE);
      assert.strictEqual(await changed, null);
      second.writeString('after');
      assert.strictEqual(reader.readString(), 'after');
    });
  });

  it('layout v0: the reset zeroes the size field of every payload type (string at 1, Float32Array at 4, Float64Array at 8)', () => {
    const name = res.name('v0-sizes');
    const w = res.writer(name, SIZE, true, { layout: 'v0' });
    w.writeDoubleArray(new Float64Array([1, 2]));
    pokeSegment(name, 1, Buffer.from([7, 0, 0, 0]));
    res.writer(name, SIZE, true, { layout: 'v0' });
    const b = readSegment(name);
    assert.ok(b.subarray(0, 12).equals(Buffer.alloc(12)), `header ${b.subarray(0, 12).toString('hex')}`);
  });

  it('options.reset must be a boolean (TypeError), and a refused option changes nothing', () => {
    const name = res.name('type');
    res.writer(name, SIZE).writeString('stays');
    const before = readSegment(name);
    for (const bad of [1, 'true', null]) {
      const err = thrown(() => new Writer(name, SIZE, true, { reset: bad }));
      assert.ok(err instanceof TypeError, String(bad));
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE');
      assert.match(err.message, /options\.reset/);
    }
    assert.ok(readSegment(name).equals(before));
  });

  it('a queue writer does not reset: messages a live peer enqueued stay (README Decisions)', () => {
    const name = res.name('queue');
    const a = new Queue(name, 4, 16, true);
    try {
      a.enqueue('one');
      a.enqueue('two');
      const b = new Queue(name, 4, 16, true);
      try {
        assert.strictEqual(b.size, 2);
        assert.strictEqual(b.dequeue(), 'one');
      } finally {
        b.close();
      }
    } finally {
      a.close();
    }
  });

  it('the reset waits for the v2 lock like a write, and takes it over from a dead holder (repairing nothing further)', () => {
    const name = res.name('v2-deadlock');
    res.writer(name, SIZE).writeString('x');
    // A pid no process has (above pid_max): dead at once.
    pokeSegment(name, C.V2_DATA - 4, u32(0x7ffffff0));
    const w = res.writer(name, SIZE, true, { lockTimeout: 2000 });
    const b = readSegment(name);
    assert.strictEqual(b.readUInt32LE(C.V2_DATA - 4), 0, 'the lock is free again');
    assert.strictEqual(b[0], 0);
    w.writeString('y');
    assert.strictEqual(w.readFlags(), 0b011);
  });
});
