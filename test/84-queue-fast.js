// The C fast path of queue operations (goshm/cabi/fast_queue.c): which cases it takes and which it
// hands to the engine, told by the addon's count of engine calls per queue (native
// queueEngineCalls), never by timing. test/85-queue.js covers the queue's behaviour, and goes
// through the fast path too; here: (a) the fast cases (enqueue, dequeue, peek, size, full, empty,
// both layouts) make no engine call; (b) every other case (too large, over the fast copy's 2 KiB, a
// lock held by a live or a dead process, a corrupted header, a following queue's check) makes
// exactly the engine's call and gets its answer; (c) a segment cut under the queue is ERR_SHM_FAULT,
// the process lives and no lock stays held; (d) the C++ library's images, used through the fast
// path, end byte for byte as the C++ library leaves them; (e) one scripted run through every branch
// gives the same results, errors and bytes with LSM_NO_FAST_PATH=1; (f) a producer in another
// process, fast or not, wakes a consumer here at once and loses nothing.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { fork, spawn, spawnSync } = require('child_process');
const {
  api, useSegments, readSegment, pokeSegment, u32, writeSegmentFile, truncateSegment, Peer, within, notOnWindows,
  ON_WINDOWS, recreateSegment,
} = require('./helpers');
const native = require('../lib/native');
const { handleOf } = require('../lib/attached');

const Q = api.NodeSharedMemoryQueue;
const VECTORS = path.join(__dirname, 'fixtures', 'vectors');
const SCENARIO = path.join(__dirname, 'fixtures', 'queue-fast-scenario.js');
const QUEUE_PEER = path.join(__dirname, 'fixtures', 'queue-peer.js');
// Where the fast path runs: not on Windows (no fault guard yet), not with LSM_NO_FAST_PATH set.
const FAST_PATH_ON = process.platform !== 'win32' && [undefined, '', '0'].includes(process.env.LSM_NO_FAST_PATH);

/** The engine calls a queue has made so far. */
const engineCalls = (q) => native.queueEngineCalls(handleOf(q));

/** How many engine calls `fn` made on q: 0 for a fast case; each operation is one call without the fast path. */
function callsOf(q, fn) {
  const before = engineCalls(q);
  fn();
  return engineCalls(q) - before;
}

/** A pid no process has now (a child that exited and was reaped), and a live one (killed at the end). */
function deadPid() {
  for (let i = 0; i < 10; i++) {
    const { pid } = spawnSync(process.execPath, ['-e', '']);
    if (pid > 2) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        if (err.code === 'ESRCH') return pid;
      }
    }
  }
  throw new Error('no dead pid found');
}

describe('84 queue fast path: C enqueue, dequeue, peek and size, and its fallbacks', function () {
  this.timeout(60000);
  const res = useSegments();
  const queue = (...args) => res.track(new Q(...args));
  let live = null;

  before(() => {
    live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  });
  after(() => live.kill());

  // What a fast case costs in engine calls: none with the fast path, one per operation without.
  const expected = (ops) => (FAST_PATH_ON ? 0 : ops);

  describe('(a) the fast cases make no engine call', () => {
    for (const layout of ['v2', 'v1']) {
      it(`layout ${layout}: 3000 messages through a queue of 7, strings and views, with peek, size, isEmpty and isFull`, () => {
        const q = queue(res.name(`fast-${layout}`), 7, 40, false, true, { layout });
        const bin = queue(q.name, 7, 40, false, false, { layout, encoding: 'buffer', reattach: false });
        const sent = [];
        const got = [];
        let ops = 0;
        const calls = callsOf(q, () => {
          for (let i = 0; i < 3000; i++) {
            const m = `message ${i} ${'é'.repeat(i % 9)}`;
            assert.strictEqual(q.enqueue(m), true);
            sent.push(m);
            ops++;
            if (i % 3 === 2) {
              assert.strictEqual(q.size, 3);
              assert.strictEqual(q.isEmpty(), false);
              assert.strictEqual(q.isFull(), false);
              assert.strictEqual(q.peek(), sent[got.length]);
              got.push(q.dequeue(), q.dequeue(), q.dequeue());
              ops += 7;
            }
          }
        });
        assert.deepStrictEqual(got, sent);
        assert.strictEqual(calls, expected(ops));
        const view = new Float64Array([1.5, -2]);
        const binCalls = callsOf(bin, () => {
          assert.strictEqual(bin.enqueue(view), true);
          assert.deepStrictEqual(bin.peek(), Buffer.from(view.buffer));
          assert.deepStrictEqual(bin.dequeue(), Buffer.from(view.buffer));
          assert.strictEqual(bin.enqueue(''), true);
          assert.deepStrictEqual(bin.dequeue(), Buffer.alloc(0));
        });
        assert.strictEqual(binCalls, expected(5));
      });
    }

    it('a full queue (enqueue false) and an empty one (dequeue and peek undefined) are answers, not engine calls', () => {
      for (const layout of ['v2', 'v1']) {
        const q = queue(res.name(`edges-${layout}`), 2, 8, false, true, { layout });
        const calls = callsOf(q, () => {
          assert.strictEqual(q.dequeue(), undefined);
          assert.strictEqual(q.peek(), undefined);
          assert.strictEqual(q.isEmpty(), true);
          assert.strictEqual(q.enqueue('a'), true);
          assert.strictEqual(q.enqueue('b'), true);
          assert.strictEqual(q.enqueue('c'), false);
          assert.strictEqual(q.isFull(), true);
          assert.deepStrictEqual([q.dequeue(), q.dequeue(), q.dequeue()], ['a', 'b', undefined]);
        });
        assert.strictEqual(calls, expected(10));
      }
    });
  });

  describe('(b) every other case makes the engine call and gets its answer', () => {
    it('a message over maxMessageSize: ERR_SHM_TOO_LARGE from the engine, nothing written', () => {
      const name = res.name('large');
      const q = queue(name, 2, 8, false);
      const before = readSegment(name);
      const tooLarge = () => q.enqueue('123456789');
      assert.strictEqual(callsOf(q, () => assert.throws(tooLarge, { code: 'ERR_SHM_TOO_LARGE', message: /maxMessageSize is 8 bytes/ })), 1);
      assert.deepStrictEqual(readSegment(name), before);
    });

    it('messages over the fast copy\'s 2 KiB go the engine\'s way both ways; 2 KiB ones do not', () => {
      const q = queue(res.name('copy'), 2, 5000, false);
      const big = 'B'.repeat(2049);
      const edge = 'E'.repeat(2048);
      assert.strictEqual(callsOf(q, () => q.enqueue(big)), 1);
      assert.strictEqual(callsOf(q, () => q.enqueue(edge)), expected(1));
      // The take of the long one: measured fast (too long for the room), then taken by the engine.
      assert.strictEqual(q.dequeue(), big);
      assert.strictEqual(callsOf(q, () => assert.strictEqual(q.dequeue(), edge)), expected(1));
    });

    for (const [side, off, other] of [['producer', 20, 'consumer'], ['consumer', 24, 'producer']]) {
      it(`the ${side} lock held by a live process: that side waits lockTimeout in the engine and times out; the ${other} side stays fast`, () => {
        const name = res.name(`live-${side}`);
        const q = queue(name, 4, 8, false, true, { lockTimeout: 30 });
        q.enqueue('a');
        pokeSegment(name, off, u32(live.pid));
        const mine = side === 'producer' ? () => q.enqueue('b') : () => q.dequeue();
        const theirs = side === 'producer' ? () => assert.strictEqual(q.dequeue(), 'a') : () => assert.strictEqual(q.enqueue('b'), true);
        assert.strictEqual(callsOf(q, () => assert.throws(mine, { code: 'ERR_SHM_LOCK_TIMEOUT' })), 1);
        assert.strictEqual(readSegment(name).readUInt32LE(off), live.pid, 'the live holder keeps its lock');
        assert.strictEqual(callsOf(q, theirs), expected(1));
        assert.strictEqual(callsOf(q, () => q.size), expected(1), 'size takes no lock');
      });

      it(`the ${side} lock held by a dead process: the engine takes it over and does the operation; then fast again`, () => {
        const name = res.name(`dead-${side}`);
        const q = queue(name, 4, 8, false, true, { lockTimeout: 5000 });
        q.enqueue('a');
        q.enqueue('a');
        pokeSegment(name, off, u32(deadPid()));
        const op = side === 'producer' ? () => assert.strictEqual(q.enqueue('b'), true) : () => assert.strictEqual(q.dequeue(), 'a');
        assert.strictEqual(callsOf(q, op), 1);
        assert.deepStrictEqual([readSegment(name).readUInt32LE(20), readSegment(name).readUInt32LE(24)], [0, 0]);
        assert.strictEqual(callsOf(q, op), expected(1));
      });
    }

    it('an empty queue whose consumer lock is held, and a full one whose producer lock is held: the engine waits and times out as without the fast path', () => {
      const name = res.name('held-edges');
      const q = queue(name, 1, 8, false, true, { lockTimeout: 30 });
      pokeSegment(name, 24, u32(live.pid));
      assert.strictEqual(callsOf(q, () => assert.throws(() => q.dequeue(), { code: 'ERR_SHM_LOCK_TIMEOUT' })), 1);
      assert.strictEqual(callsOf(q, () => assert.throws(() => q.peek(), { code: 'ERR_SHM_LOCK_TIMEOUT' })), 1);
      pokeSegment(name, 24, u32(0));
      q.enqueue('a');
      pokeSegment(name, 20, u32(live.pid));
      assert.strictEqual(callsOf(q, () => assert.throws(() => q.enqueue('b'), { code: 'ERR_SHM_LOCK_TIMEOUT' })), 1);
      pokeSegment(name, 20, u32(0));
      assert.strictEqual(callsOf(q, () => assert.strictEqual(q.enqueue('b'), false)), expected(1));
      assert.strictEqual(q.dequeue(), 'a');
    });

    it('a corrupted count, writeIndex, readIndex or slot length: ERR_SHM_LAYOUT from the engine, nothing changed', () => {
      const name = res.name('corrupt');
      const q = queue(name, 4, 8, false);
      q.enqueue('abc');
      const good = readSegment(name);
      for (const [what, off, value, op] of [
        ['count', 12, 5, () => q.enqueue('x')], ['count', 12, 5, () => q.dequeue()], ['count', 12, 5, () => q.size],
        ['writeIndex', 0, 4, () => q.enqueue('x')], ['readIndex', 4, 4, () => q.dequeue()], ['readIndex', 4, 4, () => q.peek()],
        ['slot length', 28, 9, () => q.dequeue()],
      ]) {
        pokeSegment(name, off, u32(value));
        const bad = readSegment(name);
        assert.strictEqual(callsOf(q, () => assert.throws(op, { code: 'ERR_SHM_LAYOUT' })), 1, what);
        assert.deepStrictEqual(readSegment(name), bad, `${what}: the failing call changed the segment`);
        pokeSegment(name, 0, good);
      }
      assert.strictEqual(q.dequeue(), 'abc');
    });

    it('a following queue hands one operation to the engine each pollInterval, and follows a new queue under its name', async function () {
      notOnWindows(this, 'the engine cannot tell segments apart there (queues do not follow their names)');
      const name = res.name('follow');
      const first = new Q(name, 4, 8, true, true);
      const q = queue(name, undefined, undefined, true, false, { pollInterval: 50 });
      assert.strictEqual(callsOf(q, () => { q.enqueue('old'); q.dequeue(); }), expected(2));
      // A C++ writer restarting: the name now holds a new, larger queue.
      first.close();
      recreateSegment(name, Buffer.alloc(28 + 6 * (4 + 16)));
      const fresh = queue(name, 6, 16, true, true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.strictEqual(callsOf(q, () => q.enqueue('new one here')), 1, 'the check was due: the engine\'s call');
      assert.strictEqual(q.capacity, 6);
      assert.strictEqual(fresh.dequeue(), 'new one here', 'it went to the new queue');
      assert.strictEqual(callsOf(q, () => { q.enqueue('then fast'); q.size; }), expected(2));
      assert.strictEqual(fresh.dequeue(), 'then fast');
    });
  });

  describe('(c) a segment cut under the queue', () => {
    before(function () { notOnWindows(this, ON_WINDOWS.truncate); });

    it('slots past the cut: ERR_SHM_FAULT (no crash), no lock left held, and the header\'s answers still fast', () => {
      const name = res.name('cut');
      const q = queue(name, 64, 64, true, true, { lockTimeout: 30 });
      const m = 'z'.repeat(64);
      for (let i = 0; i < 62; i++) q.enqueue(m);
      for (let i = 0; i < 62; i++) q.dequeue(); // the next slot, 62, lies past 4 KiB
      const size = readSegment(name).length;
      truncateSegment(name, 4096);
      assert.strictEqual(callsOf(q, () => assert.throws(() => q.enqueue(m), { code: 'ERR_SHM_FAULT' })), 1);
      assert.deepStrictEqual([readSegment(name).readUInt32LE(20), readSegment(name).readUInt32LE(24)], [0, 0], 'locks');
      assert.strictEqual(callsOf(q, () => assert.strictEqual(q.size, 0)), expected(1));
      pokeSegment(name, 12, u32(1)); // a message in a slot that is gone
      assert.strictEqual(callsOf(q, () => assert.throws(() => q.dequeue(), { code: 'ERR_SHM_FAULT' })), 1);
      assert.deepStrictEqual([readSegment(name).readUInt32LE(20), readSegment(name).readUInt32LE(24)], [0, 0], 'locks');
      truncateSegment(name, 0);
      for (const op of [() => q.size, () => q.enqueue('x'), () => q.dequeue(), () => q.peek()]) {
        assert.throws(op, { code: 'ERR_SHM_FAULT' });
      }
      truncateSegment(name, size);
      // All zero again: the queue keeps the capacity it validated, with empty indices.
      assert.strictEqual(q.enqueue('back'), true);
      assert.strictEqual(q.dequeue(), 'back');
    });
  });

  describe('(d) the C++ library\'s images through the fast path', () => {
    for (const [lib, layout] of [['libsharedmemory-2.0.0', 'v2'], ['libsharedmemory-1.10.0', 'v1']]) {
      it(`${lib}: the operations of queue-wrapped.bin rebuild it byte for byte, and queue-three.bin reads back, with no engine call`, () => {
        const name = res.name(`cpp-${layout}`);
        const q = queue(name, 3, 8, true, true, { layout });
        assert.strictEqual(callsOf(q, () => {
          for (const m of ['a', 'bb', 'ccc']) assert.strictEqual(q.enqueue(m), true);
          assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['a', 'bb']);
          for (const m of ['dddd', 'eeeee']) assert.strictEqual(q.enqueue(m), true);
        }), expected(7));
        assert.deepStrictEqual(readSegment(name), fs.readFileSync(path.join(VECTORS, lib, 'queue-wrapped.bin')));

        const three = res.name(`cpp3-${layout}`);
        writeSegmentFile(three, fs.readFileSync(path.join(VECTORS, lib, 'queue-three.bin')));
        const r = queue(three, undefined, undefined, true, false, { layout, reattach: false });
        assert.strictEqual(callsOf(r, () => {
          assert.deepStrictEqual([r.size, r.peek(), r.dequeue(), r.dequeue(), r.dequeue(), r.dequeue()],
            [3, 'one', 'one', 'two', 'three', undefined]);
        }), expected(6));
      });
    }
  });

  describe('(e) with LSM_NO_FAST_PATH=1, the same run gives the same results', () => {
    it('one scripted run through every branch (test/fixtures/queue-fast-scenario.js): same log, errors and bytes; the fast one makes fewer engine calls', () => {
      const prefix = `${res.name('scenario')}-`;
      const args = JSON.stringify({ prefix, livePid: live.pid, deadPid: deadPid(), truncate: process.platform !== 'win32' });
      const run = (env) => {
        const r = spawnSync(process.execPath, [SCENARIO, args], { env: { ...process.env, ...env }, encoding: 'utf8' });
        assert.strictEqual(r.signal, null, r.stderr);
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
      };
      const fast = run({ LSM_NO_FAST_PATH: '' });
      const slow = run({ LSM_NO_FAST_PATH: '1' });
      assert.ok(fast.log.length > 150, `${fast.log.length} steps`);
      assert.deepStrictEqual(fast.log, slow.log);
      assert.ok(slow.engineCalls > 100, `${slow.engineCalls} engine calls without the fast path`);
      if (process.platform === 'win32') {
        assert.strictEqual(fast.engineCalls, slow.engineCalls, 'no fast path on Windows: every call is the engine\'s');
      } else {
        assert.ok(fast.engineCalls < slow.engineCalls / 5, `${fast.engineCalls} vs ${slow.engineCalls} engine calls`);
      }
    });
  });

  describe('(f) a producer in another process', () => {
    for (const [label, env] of [['fast path', { LSM_NO_FAST_PATH: '' }], ['LSM_NO_FAST_PATH=1', { LSM_NO_FAST_PATH: '1' }]]) {
      it(`(${label}) wakes a dequeueWait() here at once (pollInterval 10 s: only the wake ends it within 5 s), then 2000 messages in order`, async () => {
        const name = res.name('xproc');
        // A stopped watch can sleep out one poll interval (goshm/watch.go: a Stop between the
        // watcher's look at its stop flag and its wait): the long interval only for the first wait.
        const sleepy = queue(name, 16, 32, false, true, { pollInterval: 10000 });
        const q = queue(name, 16, 32, false, false, { reattach: false });
        const child = fork(QUEUE_PEER, [], { serialization: 'advanced', env: { ...process.env, ...env } });
        const peer = new Peer('process', child);
        res.peers.push(peer);
        await peer.ready;
        const { id } = await peer.call('open', { name });
        // Empty: the wait sleeps on the count word until the child's enqueue wakes it.
        const first = sleepy.dequeueWait();
        await new Promise((resolve) => setTimeout(resolve, 50));
        await peer.call('enqueue', { id, values: ['first'] });
        assert.strictEqual(await within(first, 5000, 'the wake of the first message'), 'first');
        const got = [];
        const producing = (async () => {
          for (let i = 0; i < 2000; i++) {
            // The child enqueues; a full queue says false, and the message is sent again.
            while (!(await peer.call('enqueue', { id, values: [`m${i}`] }))[0]) await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        while (got.length < 2000) got.push(await within(q.dequeueWait(), 5000, `message ${got.length}`));
        await producing;
        assert.deepStrictEqual(got, Array.from({ length: 2000 }, (_, i) => `m${i}`));
      });
    }
  });
});
