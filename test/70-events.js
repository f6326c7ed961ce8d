// Change detection and events (layout v2, README "Change detection and events"): revision,
// hasNewData(), markAsRead(), isMessageRead(), 'change' events, waitForChange(), waitForRead(),
// `for await`, within a process, across processes (test/fixtures/events-peer.js) and in worker
// threads (test/fixtures/events-worker.js); what keeps a process alive
// (test/fixtures/events-alive.js); a C++-style writer that wakes nobody; layouts v1 and v0.
//
// Synchronisation: a watcher sets byte 1 (revision) or byte 2 (ack) of the v2 header while it
// waits (README, Decisions), so a test that must not race the start of a watcher waits for that
// byte before it writes (watcherArmed). The test "a write made right after on('change') ..."
// deliberately does not.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');
const { Worker } = require('worker_threads');
const { once } = require('events');
const {
  api, useSegments, readSegment, peekSegment, pokeSegment, u32, linuxOnly, Peer, thrown,
  within, settlesAtOnce,
} = require('./helpers');

const FIXTURES = path.join(__dirname, 'fixtures');
const HINT_REVISION = 1;
const HINT_ACK = 2;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Byte `index` of the segment file (the header as every process sees it). */
function headerByte(name, index) {
  return peekSegment(name, index, 1)[0];
}

/** Resolves once a watcher of `name` waits on the revision (or ack) word. */
async function watcherArmed(name, hint = HINT_REVISION, ms = 3000) {
  const end = Date.now() + ms;
  while (headerByte(name, hint) === 0) {
    if (Date.now() > end) throw new Error(`no watcher started on ${name} (header byte ${hint} stayed 0 for ${ms} ms)`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves once no watcher of `name` waits on the revision word any more. */
async function watcherGone(name, ms = 3000) {
  const end = Date.now() + ms;
  while (headerByte(name, HINT_REVISION) !== 0) {
    if (Date.now() > end) throw new Error(`a watcher of ${name} still waits after ${ms} ms`);
    await delay(1);
  }
}

/** The payloads an event emitter delivers, queued: next() resolves with the next one. */
class Inbox {
  constructor(emitter, event, { errorEvent } = {}) {
    this.items = [];
    this.waiters = [];
    this.emitter = emitter;
    this.event = event;
    this.onItem = (item) => {
      const w = this.waiters.shift();
      if (w) w.resolve(item);
      else this.items.push(item);
    };
    emitter.on(event, this.onItem);
    this.errorEvent = errorEvent;
    this.onError = (err) => {
      for (const w of this.waiters.splice(0)) w.reject(err);
    };
    if (errorEvent) emitter.on(errorEvent, this.onError);
  }

  next(ms = 3000, what = `'${this.event}'`) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return within(new Promise((resolve, reject) => this.waiters.push({ resolve, reject })), ms, `waiting for ${what}`);
  }

  stop() {
    this.emitter.off(this.event, this.onItem);
    if (this.errorEvent) this.emitter.off(this.errorEvent, this.onError);
  }
}

describe('70 change detection and events (layout v2)', () => {
  // Registered before useSegments(): children end before their segments are removed.
  const peers = [];
  const children = [];
  const workers = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.kill()));
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  });
  const res = useSegments();

  async function forkPeer() {
    const child = fork(path.join(FIXTURES, 'events-peer.js'), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const peer = new Peer('process', child);
    peers.push(peer);
    return peer.ready;
  }

  describe('revision, hasNewData(), markAsRead(), isMessageRead()', () => {
    it('revision counts writes (header offset 4); a write that throws does not move it', () => {
      const name = res.name();
      const w = res.writer(name, 128);
      const r = res.reader(name);
      assert.strictEqual(r.revision, 0, 'a new segment is at revision 0');
      assert.strictEqual(w.revision, 0);
      w.writeString('a');
      w.writeFloatArray(new Float32Array([1]));
      w.writeDoubleArray(new Float64Array([2]));
      w.writeBuffer(Buffer.from([3]));
      assert.strictEqual(r.revision, 4);
      assert.strictEqual(w.revision, 4, 'the writer sees the same revision');
      assert.strictEqual(readSegment(name).readUInt32LE(4), 4, 'the revision word is at offset 4');
      assert.throws(() => w.writeString('x'.repeat(200)), { code: 'ERR_SHM_TOO_LARGE' });
      assert.strictEqual(r.revision, 4, 'a write that threw moved the revision');
    });

    it('hasNewData(): false on a new segment, true after a write, false once this reader read it, by any read method', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const other = res.reader(name);
      assert.strictEqual(r.hasNewData(), false, 'nothing was ever written');
      w.writeString('first');
      assert.strictEqual(r.hasNewData(), true);
      assert.strictEqual(r.readString(), 'first');
      assert.strictEqual(r.hasNewData(), false, 'read it: nothing new');
      assert.strictEqual(other.hasNewData(), true, 'another reader has its own idea of what it read');

      const readers = {
        readString: () => r.readString(),
        readFloatArray: () => r.readFloatArray(),
        readDoubleArray: () => r.readDoubleArray(),
        readBuffer: () => r.readBuffer(),
        read: () => r.read(),
        readInto: () => r.readInto(Buffer.alloc(64)),
      };
      for (const [method, readIt] of Object.entries(readers)) {
        w.writeString(`for ${method}`);
        assert.strictEqual(r.hasNewData(), true, `before ${method}()`);
        readIt();
        assert.strictEqual(r.hasNewData(), false, `${method}() did not count as reading the value`);
      }

      w.writeString('flags only');
      r.readFlags();
      assert.strictEqual(r.hasNewData(), true, 'readFlags() does not read the value');
      w.writeString('x'.repeat(100));
      assert.throws(() => r.readInto(Buffer.alloc(10)), { code: 'ERR_SHM_TOO_LARGE' });
      assert.strictEqual(r.hasNewData(), true, 'a readInto() that copied nothing does not count');
    });

    it('markAsRead() acknowledges the value this reader last read, not the newest; isMessageRead() is ack == revision', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const ack = () => readSegment(name).readUInt32LE(8);
      assert.strictEqual(w.isMessageRead(), true, 'nothing written: ack 0 == revision 0');
      w.writeString('one'); // revision 1
      assert.strictEqual(w.isMessageRead(), false);
      r.markAsRead(); // this reader has read nothing: the current revision
      assert.strictEqual(ack(), 1, 'ack is stored at offset 8');
      assert.strictEqual(w.isMessageRead(), true);

      w.writeString('two'); // revision 2
      assert.strictEqual(w.isMessageRead(), false);
      assert.strictEqual(r.readString(), 'two');
      w.writeString('three'); // revision 3, not read by r
      r.markAsRead();
      assert.strictEqual(ack(), 2, 'markAsRead() acknowledged a value the reader never read');
      assert.strictEqual(w.isMessageRead(), false, 'the writer was told an unread value was read');
      assert.strictEqual(r.readString(), 'three');
      r.markAsRead();
      assert.strictEqual(ack(), 3);
      assert.strictEqual(w.isMessageRead(), true);
    });

    it('a read-only v2 reader cannot markAsRead() (ERR_SHM_READ_ONLY) but sees revision and hasNewData()', () => {
      const name = res.name();
      const w = res.writer(name, 128);
      const r = res.reader(name, undefined, true, { readOnly: true });
      w.writeString('v');
      assert.strictEqual(r.revision, 1);
      assert.strictEqual(r.hasNewData(), true);
      assert.strictEqual(r.readString(), 'v');
      assert.strictEqual(r.hasNewData(), false);
      assert.throws(() => r.markAsRead(), { code: 'ERR_SHM_READ_ONLY' });
      assert.strictEqual(readSegment(name).readUInt32LE(8), 0, 'ack unchanged');
    });
  });

  describe('layouts v1 and v0 have no revision: ERR_SHM_UNSUPPORTED', () => {
    for (const layout of ['v1', 'v0']) {
      it(`layout ${layout}: revision, hasNewData(), isMessageRead(), on('change'), waitForChange(), waitForRead()`, async () => {
        const name = res.name();
        const w = res.writer(name, 256, true, { layout });
        const r = res.reader(name, undefined, true, { layout });
        w.writeString('data');
        const unsupported = (fn, what) => {
          const err = thrown(fn, what);
          assert.strictEqual(err.code, 'ERR_SHM_UNSUPPORTED', `${what}: ${err.code} ${err.message}`);
        };
        unsupported(() => r.revision, 'reader.revision');
        unsupported(() => w.revision, 'writer.revision');
        unsupported(() => r.hasNewData(), 'hasNewData()');
        unsupported(() => w.isMessageRead(), 'isMessageRead()');
        unsupported(() => r.on('change', () => {}), "on('change')");
        assert.strictEqual(r.listenerCount('change'), 0, 'the refused listener was added anyway');
        unsupported(() => r.once('change', () => {}), "once('change')");
        assert.strictEqual(r.listenerCount('change'), 0);
        await assert.rejects(() => r.waitForChange({ timeout: 1000 }), { code: 'ERR_SHM_UNSUPPORTED' });
        await assert.rejects(() => w.waitForRead({ timeout: 1000 }), { code: 'ERR_SHM_UNSUPPORTED' });
        // The stream still works the 0.0.9 way afterwards.
        w.writeString('still fine');
        assert.strictEqual(r.readString(), 'still fine');
      });
    }

    it('layouts v1 and v0: markAsRead() is ERR_SHM_UNSUPPORTED too (like the other revision methods)', () => {
      const codes = {};
      for (const layout of ['v1', 'v0']) {
        const name = res.name();
        const w = res.writer(name, 256, true, { layout });
        const r = res.reader(name, undefined, true, { layout });
        w.writeString('data');
        codes[layout] = thrown(() => r.markAsRead(), `${layout} markAsRead()`).code;
      }
      assert.deepStrictEqual(codes, { v1: 'ERR_SHM_UNSUPPORTED', v0: 'ERR_SHM_UNSUPPORTED' });
    });
  });

  describe("'change' events", () => {
    it("'change' fires after a write in the same process, with the value of each payload type", async () => {
      const name = res.name();
      const w = res.writer(name, 1024);
      const r = res.reader(name);
      const changes = new Inbox(r, 'change');
      await watcherArmed(name);
      w.writeString('hello, ünïcödé');
      assert.strictEqual(await changes.next(), 'hello, ünïcödé');
      w.writeFloatArray(new Float32Array([1.5, -2.25]));
      assert.deepStrictEqual(await changes.next(), new Float32Array([1.5, -2.25]));
      w.writeDoubleArray(new Float64Array([Math.PI]));
      assert.deepStrictEqual(await changes.next(), new Float64Array([Math.PI]));
      w.writeBuffer(new Uint8Array([0, 1, 254, 255]));
      const b = await changes.next();
      assert.ok(Buffer.isBuffer(b), `a binary payload arrived as ${b && b.constructor.name}`);
      assert.deepStrictEqual([...b], [0, 1, 254, 255]);
      assert.strictEqual(r.hasNewData(), true, "a 'change' listener's value does not count as this reader's read (test/71)");
      changes.stop();
      assert.strictEqual(r.listenerCount('change'), 0);
    });

    it("a write made right after on('change') (same tick) is not missed", async () => {
      // README: "several quick writes may arrive as one event, but the last value is never missed".
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const missed = [];
      for (let i = 0; i < 10; i++) {
        let seen = null;
        const listener = (v) => { seen = v; };
        r.on('change', listener);
        w.writeString(`same tick ${i}`);
        const end = Date.now() + 100;
        while (seen === null && Date.now() < end) await delay(2);
        r.off('change', listener);
        if (seen !== `same tick ${i}`) missed.push(i);
      }
      assert.deepStrictEqual(missed, [], `no 'change' event at all for writes ${missed.join(', ')} (of 10)`);
    });

    it("'change' across processes: a child writes string, Float32Array, Float64Array and Buffer; they arrive as such", async () => {
      const name = res.name();
      const peer = await forkPeer();
      const wid = (await peer.call('open', { role: 'writer', name, size: 4096, persistent: true })).id;
      const r = res.reader(name);
      const changes = new Inbox(r, 'change', { errorEvent: 'error' });
      await watcherArmed(name);
      const cases = [
        ['string', 'from the child — 😃', (v) => assert.strictEqual(v, 'from the child — 😃')],
        ['float', new Float32Array([0.5, -1, 3e30]), (v) => {
          assert.ok(v instanceof Float32Array, `got ${v && v.constructor.name}`);
          assert.deepStrictEqual(v, new Float32Array([0.5, -1, 3e30]));
        }],
        ['double', new Float64Array([Math.E, -0, 2 ** 60]), (v) => {
          assert.ok(v instanceof Float64Array, `got ${v && v.constructor.name}`);
          assert.deepStrictEqual(v, new Float64Array([Math.E, -0, 2 ** 60]));
        }],
        ['buffer', Buffer.from([9, 8, 7, 0, 255]), (v) => {
          assert.ok(Buffer.isBuffer(v), `got ${v && v.constructor.name}`);
          assert.deepStrictEqual([...v], [9, 8, 7, 0, 255]);
        }],
        ['string', '', (v) => assert.strictEqual(v, '')],
      ];
      for (const [kind, value, check] of cases) {
        const revision = await peer.call('write', { id: wid, kind, value });
        check(await changes.next(3000, `the ${kind} written by the child`));
        assert.strictEqual(r.revision, revision);
      }
      assert.strictEqual(changes.items.length, 0, 'more events than writes');
    });

    it('100 000 writes in a tight loop from a child: the events coalesce, come in order, and the last one is the last value', async () => {
      const name = res.name();
      res.writer(name, 256); // the segment, made here
      const r = res.reader(name);
      const values = [];
      r.on('change', (v) => values.push(v));
      let sawLast;
      const last = new Promise((resolve) => { sawLast = resolve; });
      r.on('change', (v) => { if (v === 'last') sawLast(); });
      await watcherArmed(name);
      const peer = await forkPeer();
      // Joins the stream the reader watches: a reset would be one more event (carrying null).
      const wid = (await peer.call('open', { role: 'writer', name, options: { reset: false } })).id;
      const COUNT = 100000;
      const done = await peer.call('burst', { id: wid, count: COUNT, prefix: 'v', final: 'last' });
      assert.strictEqual(done.writes, COUNT + 1);
      await within(last, 5000, "the 'change' event carrying 'last'");
      await delay(50); // nothing may follow the last value
      assert.strictEqual(values[values.length - 1], 'last', `the final event was ${JSON.stringify(values[values.length - 1])}`);
      assert.ok(values.length <= COUNT + 1, `${values.length} events for ${COUNT + 1} writes`);
      assert.strictEqual(values.filter((v) => v === 'last').length, 1, "'last' was delivered more than once");
      let previous = -1;
      for (const v of values.slice(0, -1)) {
        const m = /^v(\d+)$/.exec(v);
        assert.ok(m, `an event carried ${JSON.stringify(v)}`);
        const i = Number(m[1]);
        assert.ok(i > previous, `event v${i} came after v${previous}: stale or repeated value`);
        previous = i;
      }
      assert.strictEqual(r.revision, done.revision);
    });

    it("the pollInterval option bounds how late a writer that wakes nobody (the C++ library) is noticed", async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      w.writeString('written by us');
      w.close();
      const r = res.reader(name, undefined, true, { pollInterval: 5 });
      const changes = new Inbox(r, 'change', { errorEvent: 'error' });
      await watcherArmed(name);
      for (const text of ['from C++ #1', 'from C++ #2 — ü', 'from C++ #3']) {
        // What libsharedmemory 2.x does, byte by byte, without any futex wake: payload, size,
        // flags (toggle kMemoryChanged, type string), then the revision.
        const before = readSegment(name);
        const payload = Buffer.from(text);
        pokeSegment(name, 20, payload);
        pokeSegment(name, 12, u32(payload.length));
        pokeSegment(name, 0, Buffer.from([((before[0] & 1) ^ 1) | api.kMemoryTypeString]));
        const t0 = Date.now();
        pokeSegment(name, 4, u32(before.readUInt32LE(4) + 1));
        const value = await changes.next(500, `the 'change' for ${JSON.stringify(text)} with pollInterval 5`);
        const elapsed = Date.now() - t0;
        assert.strictEqual(value, text);
        assert.ok(elapsed < 500, `noticed after ${elapsed} ms`);
      }
    });

    it("'change' listeners in a for loop of 200 on/off cycles with writes between: every value arrives, no thread is leaked", async function () {
      linuxOnly(this, 'counts the threads in /proc/self/task');
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const tasks = () => fs.readdirSync('/proc/self/task').length;
      const cycle = async (i) => {
        const changes = new Inbox(r, 'change', { errorEvent: 'error' });
        await watcherArmed(name);
        w.writeString(`cycle ${i}`);
        assert.strictEqual(await changes.next(2000, `cycle ${i}`), `cycle ${i}`);
        changes.stop();
        assert.strictEqual(r.listenerCount('change'), 0);
        assert.strictEqual(headerByte(name, HINT_REVISION), 0, `cycle ${i}: the watcher still waits after its last listener went`);
      };
      for (let i = 0; i < 10; i++) await cycle(i); // warm-up: threads the runtimes start once
      const before = tasks();
      for (let i = 10; i < 210; i++) await cycle(i);
      const after = tasks();
      assert.ok(after <= before + 4, `threads: ${before} before 200 cycles, ${after} after`);
      // A write made while nobody listened is not delivered to a listener added later.
      let late = 0;
      w.writeString('unwatched');
      await delay(20);
      r.prependListener('change', () => { late++; });
      await watcherArmed(name);
      await delay(20);
      assert.strictEqual(late, 0, 'a write made while nobody listened was delivered to a later listener');
    });
  });

  describe('waitForChange()', () => {
    it('resolves at once with the value when the reader has not read it (hasNewData), then waits for the next write', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      w.writeString('already there');
      assert.strictEqual(r.hasNewData(), true);
      const p = r.waitForChange({ timeout: 2000 });
      assert.strictEqual(await settlesAtOnce(p), 'settled', 'waitForChange() waited although hasNewData()');
      assert.strictEqual(await p, 'already there');
      assert.strictEqual(r.hasNewData(), false);
      const q = r.waitForChange({ timeout: 2000 });
      await watcherArmed(name);
      assert.strictEqual(await settlesAtOnce(q), 'pending', 'resolved with nothing new');
      w.writeFloatArray(new Float32Array([7]));
      assert.deepStrictEqual(await q, new Float32Array([7]));
    });

    it('a write right after waitForChange() is called (same tick) resolves it', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const outcomes = [];
      for (let i = 0; i < 10; i++) {
        const p = r.waitForChange({ timeout: 100 });
        w.writeString(`now ${i}`);
        outcomes.push(await p.then((v) => (v === `now ${i}` ? 'ok' : `got ${v}`), (e) => e.code || e.message));
      }
      assert.deepStrictEqual(outcomes.filter((o) => o !== 'ok'), [], `outcomes: ${outcomes.join(', ')}`);
    });

    it('rejects with ERR_SHM_TIMEOUT (naming the segment) when nothing is written', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const t0 = Date.now();
      const err = await r.waitForChange({ timeout: 60 }).then(() => null, (e) => e);
      const elapsed = Date.now() - t0;
      assert.ok(err, 'resolved with nothing written');
      assert.strictEqual(err.code, 'ERR_SHM_TIMEOUT');
      assert.strictEqual(err.segment, name);
      assert.ok(elapsed >= 50, `rejected after ${elapsed} ms, before the 60 ms timeout`);
      // Same after a value that was read.
      w.writeString('read already');
      r.read();
      await assert.rejects(r.waitForChange({ timeout: 30 }), { code: 'ERR_SHM_TIMEOUT' });
      assert.strictEqual(r.listenerCount('close'), 1, "a settled wait left its 'close' listener behind");
      assert.strictEqual(headerByte(name, HINT_REVISION), 0, 'a settled wait left its watcher running');
    });

    it("an AbortSignal: aborting rejects with name 'AbortError'; an already-aborted signal rejects at once", async () => {
      const name = res.name();
      res.writer(name, 256);
      const r = res.reader(name);
      const ac = new AbortController();
      const p = r.waitForChange({ signal: ac.signal, timeout: 5000 });
      await watcherArmed(name);
      assert.strictEqual(await settlesAtOnce(p), 'pending');
      ac.abort(new Error('the reason'));
      const err = await p.then(() => null, (e) => e);
      assert.ok(err, 'resolved after abort');
      assert.strictEqual(err.name, 'AbortError');
      assert.strictEqual(r.listenerCount('close'), 1, "the aborted wait left its 'close' listener");
      assert.strictEqual(headerByte(name, HINT_REVISION), 0, 'the aborted wait left its watcher running');

      const q = r.waitForChange({ signal: AbortSignal.abort() });
      assert.strictEqual(await settlesAtOnce(q), 'settled', 'an already-aborted signal did not reject at once');
      await assert.rejects(q, { name: 'AbortError' });
    });

    it('close() while waiting rejects with ERR_SHM_CLOSED; so does waitForRead() when its writer closes', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const p = r.waitForChange();
      await watcherArmed(name);
      r.close();
      await within(assert.rejects(p, { code: 'ERR_SHM_CLOSED' }), 2000, 'waitForChange() after close()');

      w.writeString('unread');
      const q = w.waitForRead();
      await watcherArmed(name, HINT_ACK);
      w.close();
      await within(assert.rejects(q, { code: 'ERR_SHM_CLOSED' }), 2000, 'waitForRead() after close()');
    });

    it('`for await (const v of reader)` yields the values a child writes and ends, without throwing, when the reader is closed', async () => {
      const name = res.name();
      const peer = await forkPeer();
      const wid = (await peer.call('open', { role: 'writer', name, size: 1024, persistent: true })).id;
      const r = res.reader(name);
      const sent = ['first', new Float64Array([1, 2, 3]), 'third'];
      const kinds = ['string', 'double', 'string'];
      await peer.call('write', { id: wid, kind: kinds[0], value: sent[0] });
      const got = [];
      let failure = null;
      const loop = (async () => {
        for await (const v of r) {
          got.push(v);
          const next = got.length;
          // Once the iterator waits again, the child writes the next value, or this closes the reader.
          watcherArmed(name)
            .then(() => (next < sent.length
              ? peer.call('write', { id: wid, kind: kinds[next], value: sent[next] })
              : r.close()))
            .catch((err) => { failure = err; r.close(); });
        }
        return 'ended';
      })();
      assert.strictEqual(await within(loop, 5000, 'the for-await loop'), 'ended');
      assert.strictEqual(failure, null);
      assert.deepStrictEqual(got, sent);
      assert.strictEqual(r.closed, true);
    });
  });

  describe('waitForRead()', () => {
    it('a writer here awaits; a reader in a child reads and calls markAsRead(); the promise resolves', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const peer = await forkPeer();
      const rid = (await peer.call('open', { role: 'reader', name })).id;
      w.writeString('please ack');
      assert.strictEqual(w.isMessageRead(), false);
      const p = w.waitForRead({ timeout: 5000 });
      await watcherArmed(name, HINT_ACK);
      assert.strictEqual(await settlesAtOnce(p), 'pending', 'resolved before anyone read');
      assert.strictEqual(await peer.call('readAndMark', { id: rid }), 'please ack');
      await within(p, 3000, 'waitForRead() after the child marked the value read');
      assert.strictEqual(w.isMessageRead(), true);
      // Already read: resolves at once.
      assert.strictEqual(await settlesAtOnce(w.waitForRead()), 'settled');
    });

    it('with {timeout: 50} and no reader it rejects with ERR_SHM_TIMEOUT', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      w.writeString('nobody reads this');
      const t0 = Date.now();
      await assert.rejects(w.waitForRead({ timeout: 50 }), { code: 'ERR_SHM_TIMEOUT', segment: name });
      assert.ok(Date.now() - t0 >= 40);
      assert.strictEqual(w.isMessageRead(), false);
    });
  });

  describe('what keeps the process alive', () => {
    function runAlive(scenario, name) {
      const child = fork(path.join(FIXTURES, 'events-alive.js'), [scenario, name], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      const report = new Promise((resolve, reject) => {
        child.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        exited.then((info) => reject(new Error(`events-alive ${scenario} exited before reporting: ${JSON.stringify(info)}`)));
      });
      return { child, exited, report };
    }

    it("a reader with a 'change' listener and unref() lets the process exit by itself", async () => {
      const name = res.name();
      res.writer(name, 256);
      const { exited, report } = runAlive('unref', name);
      assert.deepStrictEqual(await report, { watching: true, armed: true, listeners: 1 });
      const info = await within(exited, 2500, 'the child exiting by itself');
      assert.deepStrictEqual(info, { code: 0, signal: null });
    });

    it("a reader whose 'change' listeners were all removed lets the process exit by itself", async () => {
      const name = res.name();
      res.writer(name, 256);
      const { exited, report } = runAlive('removed', name);
      assert.deepStrictEqual(await report, { watching: false, armed: false, listeners: 0 });
      const info = await within(exited, 2500, 'the child exiting by itself');
      assert.deepStrictEqual(info, { code: 0, signal: null });
    });

    it("a reader with a 'change' listener and no unref() keeps the process alive", async () => {
      const name = res.name();
      res.writer(name, 256);
      const { child, exited, report } = runAlive('ref', name);
      assert.deepStrictEqual(await report, { watching: true, armed: true, listeners: 1 });
      const outcome = await Promise.race([exited, delay(500).then(() => 'running')]);
      assert.strictEqual(outcome, 'running', `the child exited: ${JSON.stringify(outcome)}`);
      child.kill('SIGKILL');
      assert.strictEqual((await exited).signal, 'SIGKILL');
    });
  });

  describe('closing while watching, worker threads', () => {
    function startWorker(name) {
      const worker = new Worker(path.join(FIXTURES, 'events-worker.js'), { workerData: { name } });
      workers.push(worker);
      const inbox = new Inbox(worker, 'message', { errorEvent: 'error' });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      return { worker, inbox, exited };
    }

    it("close() of a reader inside its own 'change' listener, and with waits pending, is clean", async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      let seen = null;
      r.on('change', (v) => { seen = v; r.close(); });
      await watcherArmed(name);
      const p = r.waitForChange();
      w.writeString('close from the handler');
      await within(once(r, 'close'), 2000, "the reader's close");
      assert.strictEqual(r.closed, true);
      // The pending wait either got the value first or was rejected by close(); never left hanging.
      const outcome = await within(p.then((v) => v, (e) => e.code), 2000, 'the pending waitForChange()');
      assert.ok(['close from the handler', 'ERR_SHM_CLOSED'].includes(outcome), `waitForChange(): ${outcome}`);
      assert.strictEqual(seen, 'close from the handler');
      assert.strictEqual(headerByte(name, HINT_REVISION), 0, 'a watcher still runs after close()');
      assert.throws(() => r.on('change', () => {}), { code: 'ERR_SHM_CLOSED' });
      w.writeString('after close');
      await delay(20);
    });

    it('a worker listening for changes is terminate()d, also while events stream in: exit code 1, this process goes on', async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      for (let round = 0; round < 4; round++) {
        // The worker tells it is ready when the header's watch byte is set: no watcher of the
        // previous round may still hold it.
        await watcherGone(name);
        const { worker, inbox, exited } = startWorker(name);
        const ready = await inbox.next(5000, 'the worker ready');
        assert.strictEqual(ready.ready, true);
        w.writeString(`to the worker ${round}`);
        assert.deepStrictEqual(await inbox.next(3000, "the worker's 'change'"), { change: `to the worker ${round}` });
        // Events in flight while the worker goes away.
        for (let i = 0; i < 2000; i++) w.writeString(`burst ${i}`);
        const code = await worker.terminate();
        assert.strictEqual(code, 1, 'a terminated worker exits with code 1');
        assert.strictEqual(await exited, 1);
      }
      // This thread goes on watching and reading.
      await watcherGone(name);
      const mine = res.reader(name);
      const changes = new Inbox(mine, 'change', { errorEvent: 'error' });
      await watcherArmed(name);
      w.writeString('main thread still fine');
      assert.strictEqual(await changes.next(3000, 'a change here'), 'main thread still fine');
    });

    it("a worker that closes its reader with a 'change' listener still attached ends by itself with code 0", async () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const { worker, inbox, exited } = startWorker(name);
      assert.strictEqual((await inbox.next(5000, 'the worker ready')).ready, true);
      w.writeString('one for the worker');
      assert.deepStrictEqual(await inbox.next(3000, "the worker's 'change'"), { change: 'one for the worker' });
      worker.postMessage('close');
      assert.deepStrictEqual(await inbox.next(3000, 'the worker closing'), { closed: true, listeners: 1 });
      const code = await within(exited, 3000, 'the worker ending by itself after close()');
      assert.strictEqual(code, 0);
      w.writeString('nobody is watching');
      assert.strictEqual(headerByte(name, HINT_REVISION), 0, "the worker's watcher still runs");
    });
  });
});
