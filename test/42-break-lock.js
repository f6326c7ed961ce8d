// A v2 lock held by a libsharedmemory process that died (issue 11 item 3). The C++ library stores 1,
// not a pid, in a lock it holds, so its death is invisible and every wait times out forever. The way
// out is the user's decision, never the default: breakLock() on streams and queues, and the opt-in
// options.staleLockTimeout, which takes over a lock that stays unchanged (no progress) that long
// and reports it ('lockBroken', or a process warning when nobody listens). A dead C++ holder is
// played by poking 1 into the lock word.
'use strict';
const assert = require('assert');
const { spawn } = require('child_process');
const { api, useSegments, readSegment, peekSegment, pokeSegment, u32, thrown } = require('./helpers');
const native = require('../lib/native');

const C = native.constants;
const Q = api.NodeSharedMemoryQueue;
// A v2 queue's header ends with the producer lock and then the consumer lock (SPEC §3.4).
const PRODUCER_LOCK = C.QUEUE_HEADER_V2 - 8;
const CONSUMER_LOCK = C.QUEUE_HEADER_V2 - 4;

const lockWord = (name, offset = C.V2_LOCK) => peekSegment(name, offset, 4).readUInt32LE(0);

// A process that is alive for the test's duration, and ended by it.
function liveChild() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return child;
}

describe('42 breaking a lock held by a dead libsharedmemory peer', function () {
  this.timeout(20000);
  const res = useSegments();
  const queues = [];
  afterEach(() => {
    for (const q of queues.splice(0)) q.close();
  });
  const queue = (...args) => {
    const q = new Q(...args);
    queues.push(q);
    return q;
  };

  describe('streams', () => {
    it('without breakLock() or staleLockTimeout a lock word of 1 still only times out (ERR_SHM_LOCK_TIMEOUT), every time, changing nothing', () => {
      const name = res.name();
      const w = res.writer(name, 256, true, { lockTimeout: 60 });
      const r = res.reader(name, undefined, true, { lockTimeout: 60 });
      w.writeString('before');
      pokeSegment(name, C.V2_LOCK, u32(1));
      const before = readSegment(name);
      for (let round = 0; round < 2; round++) {
        for (const call of [() => w.writeString('x'), () => r.readString()]) {
          assert.strictEqual(thrown(call).code, 'ERR_SHM_LOCK_TIMEOUT');
        }
      }
      assert.deepStrictEqual(readSegment(name), before);
    });

    for (const side of ['writer', 'reader']) {
      it(`${side}.breakLock() takes the lock from a dead holder of word 1, repairs the value, returns 1; then writes and reads work`, () => {
        const name = res.name();
        const w = res.writer(name, 256, true, { lockTimeout: 60 });
        const r = res.reader(name, undefined, true, { lockTimeout: 60 });
        w.writeString('half-written');
        const revision = w.revision;
        pokeSegment(name, C.V2_LOCK, u32(1));
        assert.strictEqual(thrown(() => w.writeString('blocked')).code, 'ERR_SHM_LOCK_TIMEOUT');
        assert.strictEqual((side === 'writer' ? w : r).breakLock(), 1);
        assert.strictEqual(lockWord(name), 0, 'the lock is released');
        assert.strictEqual(w.revision, revision + 1, 'the repair is a new revision');
        // The dead writer may have torn the payload: it is replaced by an empty one, no type bit.
        assert.strictEqual(r.read(), null);
        w.writeString('after');
        assert.strictEqual(r.readString(), 'after');
      });
    }

    it('breakLock() on a free lock returns false and changes nothing', () => {
      const name = res.name();
      const w = res.writer(name, 256, true);
      w.writeString('kept');
      const before = readSegment(name);
      assert.strictEqual(w.breakLock(), false);
      assert.deepStrictEqual(readSegment(name), before);
    });

    it('breakLock() refuses a holder known alive (this process, a live child) with ERR_SHM_LOCK_HELD and changes nothing; { force: true } breaks it', async () => {
      const name = res.name();
      const w = res.writer(name, 256, true, { lockTimeout: 60 });
      w.writeString('kept');
      const child = liveChild();
      try {
        for (const holder of [process.pid, child.pid]) {
          pokeSegment(name, C.V2_LOCK, u32(holder));
          const before = readSegment(name);
          const err = thrown(() => w.breakLock());
          assert.strictEqual(err.code, 'ERR_SHM_LOCK_HELD', `${err.code}: ${err.message}`);
          assert.strictEqual(err.segment, name);
          assert.match(err.message, new RegExp(`process ${holder}.*alive.*force`));
          assert.deepStrictEqual(readSegment(name), before);
          assert.strictEqual(w.breakLock({ force: true }), holder);
          assert.strictEqual(lockWord(name), 0);
        }
      } finally {
        child.kill();
      }
    });

    it('breakLock() is refused where there is no lock to break: read-only mapping (ERR_SHM_READ_ONLY), layouts v1/v0 (ERR_SHM_UNSUPPORTED), closed (ERR_SHM_CLOSED)', () => {
      const name = res.name();
      res.writer(name, 256, true);
      assert.strictEqual(thrown(() => res.reader(name, undefined, true, { readOnly: true }).breakLock()).code, 'ERR_SHM_READ_ONLY');
      for (const layout of ['v1', 'v0']) {
        const n = res.name(layout);
        const w = res.writer(n, 256, true, { layout });
        assert.strictEqual(thrown(() => w.breakLock()).code, 'ERR_SHM_UNSUPPORTED');
      }
      const w = res.writer(res.name(), 256, true);
      w.close();
      assert.strictEqual(thrown(() => w.breakLock()).code, 'ERR_SHM_CLOSED');
    });

    it('breakLock() options are checked: force must be a boolean, unknown keys are refused', () => {
      const w = res.writer(res.name(), 256, true);
      assert.strictEqual(thrown(() => w.breakLock({ force: 1 })).code, 'ERR_INVALID_ARG_TYPE');
      assert.strictEqual(thrown(() => w.breakLock({ forse: true })).code, 'ERR_INVALID_ARG_VALUE');
      assert.strictEqual(thrown(() => w.breakLock(5)).code, 'ERR_INVALID_ARG_TYPE');
    });

    it('staleLockTimeout: a write and a read take over a word of 1 unchanged for that long (not before), and a lockBroken event says so', async () => {
      const name = res.name();
      const w = res.writer(name, 256, true, { lockTimeout: 2000, staleLockTimeout: 150 });
      const r = res.reader(name, undefined, true, { lockTimeout: 2000, staleLockTimeout: 150 });
      const events = [];
      w.on('lockBroken', (e) => events.push(['writer', e]));
      r.on('lockBroken', (e) => events.push(['reader', e]));
      w.writeString('before');

      pokeSegment(name, C.V2_LOCK, u32(1));
      let t0 = Date.now();
      w.writeString('after');
      let took = Date.now() - t0;
      assert.ok(took >= 140 && took < 1500, `the write waited ${took} ms`);
      assert.strictEqual(r.readString(), 'after');

      pokeSegment(name, C.V2_LOCK, u32(1));
      t0 = Date.now();
      assert.strictEqual(r.read(), null, 'the reader repaired the value the holder may have torn');
      took = Date.now() - t0;
      assert.ok(took >= 140 && took < 1500, `the read waited ${took} ms`);
      assert.strictEqual(lockWord(name), 0);

      await new Promise((resolve) => setImmediate(resolve));
      assert.deepStrictEqual(events, [
        ['writer', { lock: 'write', holder: 1, staleLockTimeout: 150 }],
        ['reader', { lock: 'write', holder: 1, staleLockTimeout: 150 }],
      ]);
    });

    it('staleLockTimeout with no lockBroken listener: a process warning (ERR_SHM_LOCK_BROKEN) naming the segment', async () => {
      const name = res.name();
      const w = res.writer(name, 256, true, { lockTimeout: 1000, staleLockTimeout: 50 });
      const warnings = [];
      const onWarning = (warning) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        pokeSegment(name, C.V2_LOCK, u32(1));
        w.writeString('after');
        await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        process.off('warning', onWarning);
      }
      const ours = warnings.filter((x) => x.code === 'ERR_SHM_LOCK_BROKEN');
      assert.strictEqual(ours.length, 1, `warnings: ${warnings.map((x) => x.message)}`);
      assert.strictEqual(ours[0].name, 'LockBrokenWarning');
      assert.ok(ours[0].message.includes(JSON.stringify(name)), ours[0].message);
    });

    it('staleLockTimeout never takes over a holder known alive: it times out as before', () => {
      const name = res.name();
      const w = res.writer(name, 256, true, { lockTimeout: 300, staleLockTimeout: 50 });
      w.writeString('kept');
      pokeSegment(name, C.V2_LOCK, u32(process.pid));
      const before = readSegment(name);
      assert.strictEqual(thrown(() => w.writeString('x')).code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.deepStrictEqual(readSegment(name), before);
      pokeSegment(name, C.V2_LOCK, u32(0));
    });

    it('staleLockTimeout is checked: an integer of ms below lockTimeout, not on a readOnly reader', () => {
      const name = res.name();
      res.writer(name, 256, true);
      const open = (options, W = api.NodeSharedMemoryWriteStream) => thrown(() => res.track(new W(name, 256, true, options)));
      assert.strictEqual(open({ staleLockTimeout: '5' }).code, 'ERR_INVALID_ARG_TYPE');
      for (const bad of [0, -1, 1.5, 1000]) {
        const err = open({ staleLockTimeout: bad });
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', `${bad}`);
        assert.match(err.message, /staleLockTimeout.*lockTimeout/);
      }
      assert.strictEqual(open({ staleLockTimeout: 100, lockTimeout: 100 }).code, 'ERR_OUT_OF_RANGE');
      const ro = thrown(() => res.reader(name, undefined, true, { readOnly: true, staleLockTimeout: 10 }));
      assert.strictEqual(ro.code, 'ERR_INVALID_ARG_VALUE');
    });
  });

  describe('queues', () => {
    it('without breakLock() or staleLockTimeout a lock word of 1 still only times out', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      q.enqueue('a');
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      pokeSegment(name, CONSUMER_LOCK, u32(1));
      const before = readSegment(name);
      assert.strictEqual(thrown(() => q.enqueue('b')).code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.strictEqual(thrown(() => q.dequeue()).code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.deepStrictEqual(readSegment(name), before);
    });

    it("breakLock({ lock: 'producer' }) and ({ lock: 'consumer' }) break one lock each and return { producer, consumer }", () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      q.enqueue('a');
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      assert.deepStrictEqual(q.breakLock({ lock: 'producer' }), { producer: 1, consumer: false });
      assert.strictEqual(q.enqueue('b'), true);
      pokeSegment(name, CONSUMER_LOCK, u32(1));
      assert.strictEqual(thrown(() => q.dequeue()).code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.deepStrictEqual(q.breakLock({ lock: 'consumer' }), { producer: false, consumer: 1 });
      assert.deepStrictEqual([q.dequeue(), q.dequeue(), q.dequeue()], ['a', 'b', undefined]);
      assert.deepStrictEqual([lockWord(name, PRODUCER_LOCK), lockWord(name, CONSUMER_LOCK)], [0, 0]);
    });

    it('breakLock() breaks both by default; on free locks it returns false for each and changes nothing', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      q.enqueue('a');
      const before = readSegment(name);
      assert.deepStrictEqual(q.breakLock(), { producer: false, consumer: false });
      assert.deepStrictEqual(readSegment(name), before);
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      pokeSegment(name, CONSUMER_LOCK, u32(1));
      assert.deepStrictEqual(q.breakLock(), { producer: 1, consumer: 1 });
      assert.strictEqual(q.enqueue('b'), true);
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['a', 'b']);
    });

    it('breaking the producer lock publishes the message a producer died after writing (writeIndex moved, count not yet)', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      // What the producer wrote before dying: slot 0 ("dead"), then writeIndex 1; count still 0.
      const slot = Buffer.concat([u32(4), Buffer.from('dead')]);
      pokeSegment(name, C.QUEUE_HEADER_V2, slot);
      pokeSegment(name, 0, u32(1));
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      assert.strictEqual(q.size, 0);
      assert.deepStrictEqual(q.breakLock({ lock: 'producer' }), { producer: 1, consumer: false });
      assert.strictEqual(q.size, 1);
      assert.strictEqual(q.dequeue(), 'dead');
    });

    it('a lock not named is taken normally for the repair: held by 1 too, the call times out and nothing is broken', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      pokeSegment(name, CONSUMER_LOCK, u32(1));
      const before = readSegment(name);
      const err = thrown(() => q.breakLock({ lock: 'consumer' }));
      assert.strictEqual(err.code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.match(err.message, /producer lock/);
      assert.deepStrictEqual(readSegment(name), before);
      assert.strictEqual(thrown(() => q.breakLock({ lock: 'producer' })).code, 'ERR_SHM_LOCK_TIMEOUT');
      assert.deepStrictEqual(readSegment(name), before, 'the producer lock went back to its holder');
    });

    it('breakLock() refuses a live holder (ERR_SHM_LOCK_HELD) unless forced; v1 has no locks; options are checked', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 60 });
      pokeSegment(name, CONSUMER_LOCK, u32(process.pid));
      const before = readSegment(name);
      assert.strictEqual(thrown(() => q.breakLock()).code, 'ERR_SHM_LOCK_HELD');
      assert.deepStrictEqual(readSegment(name), before);
      assert.deepStrictEqual(q.breakLock({ force: true }), { producer: false, consumer: process.pid });
      const v1 = queue(res.name('v1'), 4, 8, true, true, { layout: 'v1' });
      assert.strictEqual(thrown(() => v1.breakLock()).code, 'ERR_SHM_UNSUPPORTED');
      assert.strictEqual(thrown(() => q.breakLock({ lock: 'writer' })).code, 'ERR_INVALID_ARG_VALUE');
      assert.strictEqual(thrown(() => q.breakLock({ lock: 1 })).code, 'ERR_INVALID_ARG_TYPE');
      assert.strictEqual(thrown(() => q.breakLock({ force: 'yes' })).code, 'ERR_INVALID_ARG_TYPE');
    });

    it('staleLockTimeout: enqueue and dequeue take over a lock of 1 unchanged that long, reported per lock', async () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 2000, staleLockTimeout: 100 });
      const events = [];
      q.on('lockBroken', (e) => events.push(e));
      pokeSegment(name, PRODUCER_LOCK, u32(1));
      let t0 = Date.now();
      assert.strictEqual(q.enqueue('a'), true);
      assert.ok(Date.now() - t0 >= 90, `enqueue waited ${Date.now() - t0} ms`);
      pokeSegment(name, CONSUMER_LOCK, u32(1));
      t0 = Date.now();
      assert.strictEqual(q.dequeue(), 'a');
      assert.ok(Date.now() - t0 >= 90, `dequeue waited ${Date.now() - t0} ms`);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepStrictEqual(events, [
        { lock: 'producer', holder: 1, staleLockTimeout: 100 },
        { lock: 'consumer', holder: 1, staleLockTimeout: 100 },
      ]);
    });

    it('staleLockTimeout is checked against lockTimeout', () => {
      const err = thrown(() => queue(res.name(), 4, 8, true, true, { lockTimeout: 100, staleLockTimeout: 100 }));
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE');
    });
  });
});
