// NodeSharedMemoryQueue (SPEC §3.4): libsharedmemory's SharedMemoryQueue. The byte images of the
// real C++ libsharedmemory 2.0.0 and 1.10.0 (test/fixtures/vectors) are read, and rebuilt byte for
// byte by replaying their operations; then the semantics in one process (FIFO, full, empty, peek,
// sizes, payload types, errors, close, corrupted headers); then real processes and threads
// (test/fixtures/queue-peer.js, driven by request/reply messages; no sleeps): many producers and
// many consumers, layout v1 with one producer and one consumer, process exit, the waits
// (enqueueWait, dequeueWait, timeouts, AbortSignal, close, call order, async iteration, unref), and
// worker threads, including a wait on a segment truncated under it (it learns of the fault) and an
// oversized enqueueWait() queued behind another waiter (refused at once).
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');
const { Worker } = require('worker_threads');
const {
  api, useSegments, segmentExists, readSegment, pokeSegment, u32, segmentMode, writeSegmentFile, truncateSegment, Peer,
  within, POSIX_MODES, notOnWindows, ON_WINDOWS,
} = require('./helpers');
const { message, parse } = require('./fixtures/queue-messages');

const Q = api.NodeSharedMemoryQueue;
const QUEUE_PEER = path.join(__dirname, 'fixtures', 'queue-peer.js');
const VECTORS = path.join(__dirname, 'fixtures', 'vectors');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(VECTORS, 'manifest.json'), 'utf8'));
const LAYOUT_OF_LIBRARY = { 'libsharedmemory-2.0.0': 'v2', 'libsharedmemory-1.10.0': 'v1' };
const HEADER_BYTES = { v2: 28, v1: 20 };

// --- helpers -------------------------------------------------------------------------------------

/** The header words of a queue segment, as the OS holds them. */
function header(name, layout = 'v2') {
  const b = readSegment(name);
  const h = {
    writeIndex: b.readUInt32LE(0),
    readIndex: b.readUInt32LE(4),
    capacity: b.readUInt32LE(8),
    count: b.readUInt32LE(12),
    maxMessageSize: b.readUInt32LE(16),
  };
  if (layout === 'v2') Object.assign(h, { producerLock: b.readUInt32LE(20), consumerLock: b.readUInt32LE(24) });
  return h;
}

/** Asserts two byte images are equal; on failure names the first differing offset and both bytes around it. */
function assertSameBytes(actual, expected, what) {
  if (Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const around = (b) => b.subarray(Math.max(0, i - 8), i + 8).toString('hex').replace(/(..)/g, '$1 ').trim();
  assert.fail(`${what}: ${actual.length} bytes vs ${expected.length} expected; first difference at byte ${i}:\n` +
    `  got      ${around(actual)}\n  expected ${around(expected)}`);
}

/** Settles with what the call threw, or what its promise rejected with; fails if it did neither. */
async function failureOf(call, what) {
  let out;
  try {
    out = call();
  } catch (err) {
    return err;
  }
  assert.ok(out && typeof out.then === 'function', `${what} neither threw nor returned a promise`);
  return out.then(() => assert.fail(`${what} resolved`), (err) => err);
}

/** Tracks whether a promise has settled, for "still pending" assertions. */
function track(promise) {
  const t = { settled: false, promise };
  promise.then(() => { t.settled = true; }, () => { t.settled = true; });
  return t;
}

/** Lets pending callbacks (watcher notifications, promise reactions) run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** [0, 1, ..., n-1] */
const upTo = (n) => Array.from({ length: n }, (_, i) => i);

describe('85 queue', () => {
  const res = useSegments();
  const queue = (...args) => res.track(new Q(...args));

  /** test/fixtures/queue-peer.js in a child process; its stdout is kept in peer.stdout. */
  async function forkQueuePeer() {
    const child = fork(QUEUE_PEER, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const peer = new Peer('process', child);
    peer.stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { peer.stdout += chunk; });
    res.peers.push(peer);
    return peer.ready;
  }

  /** test/fixtures/queue-peer.js in a worker thread. */
  async function workerQueuePeer() {
    const peer = new Peer('worker', new Worker(QUEUE_PEER));
    res.peers.push(peer);
    return peer.ready;
  }

  /** The next 'settled' event (see queue-peer.js) with this tag sent by a peer over its channel. */
  const nextSettled = (peer, tag) => new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg && msg.event === 'settled' && msg.tag === tag) {
        peer.endpoint.off('message', onMessage);
        resolve(msg);
      }
    };
    peer.endpoint.on('message', onMessage);
  });

  /** The 'settled' events a child process printed (see queue-peer.js). */
  const settledLines = (peer) => peer.stdout.split('\n').filter((l) => l.startsWith('settled ')).map((l) => JSON.parse(l.slice(8)));

  // --- 1. the images of the C++ library ----------------------------------------------------------

  describe('the byte images of libsharedmemory 2.0.0 and 1.10.0', () => {
    const vectors = MANIFEST.vectors
      .filter((v) => /\/queue-[^/]+\.bin$/.test(v.file))
      .map((v) => ({ ...v, layout: LAYOUT_OF_LIBRARY[v.file.split('/')[0]] }));

    it('the manifest lists queue images of both layouts', () => {
      assert.deepStrictEqual(vectors.map((v) => `${v.layout} ${v.file}`), [
        'v2 libsharedmemory-2.0.0/queue-empty.bin',
        'v2 libsharedmemory-2.0.0/queue-three.bin',
        'v2 libsharedmemory-2.0.0/queue-wrapped.bin',
        'v1 libsharedmemory-1.10.0/queue-empty.bin',
        'v1 libsharedmemory-1.10.0/queue-three.bin',
        'v1 libsharedmemory-1.10.0/queue-wrapped.bin',
      ]);
    });

    for (const v of vectors) {
      const image = fs.readFileSync(path.join(VECTORS, v.file));
      const messages = v.expect.messages;

      it(`${v.file} (layout ${v.layout}): opened with isWriter false, it holds ${JSON.stringify(messages)} in order`, () => {
        assert.strictEqual(image.length, HEADER_BYTES[v.layout] + v.capacity * (4 + v.maxMessageSize), 'image size');
        const name = res.name();
        writeSegmentFile(name, image);
        const q = queue(name, undefined, undefined, true, false, { layout: v.layout });
        assert.strictEqual(q.layout, v.layout);
        assert.strictEqual(q.capacity, v.capacity);
        assert.strictEqual(q.maxMessageSize, v.maxMessageSize);
        assert.strictEqual(q.byteLength, image.length);
        assert.strictEqual(q.size, messages.length);
        assert.strictEqual(q.isEmpty(), messages.length === 0);
        assert.strictEqual(q.isFull(), messages.length === v.capacity);
        assert.strictEqual(q.peek(), messages[0]);
        assert.strictEqual(q.size, messages.length, 'peek() removed a message');
        assertSameBytes(readSegment(name), image, 'opening and peeking changed the image');

        // A second object, with the sizes given and encoding 'buffer', agrees.
        const bytes = queue(name, v.capacity, v.maxMessageSize, true, false, { layout: v.layout, encoding: 'buffer' });
        if (messages.length > 0) assert.deepStrictEqual(bytes.peek(), Buffer.from(messages[0]));

        const got = [];
        for (let i = 0; i < messages.length; i++) got.push(q.dequeue());
        assert.deepStrictEqual(got, messages);
        assert.strictEqual(q.dequeue(), undefined);
        assert.strictEqual(q.peek(), undefined);
        assert.strictEqual(q.size, 0);
        assert.ok(q.isEmpty());

        // As in the C++ library, a dequeue moves readIndex and count only: the slots keep their bytes.
        const expected = Buffer.from(image);
        expected.writeUInt32LE((v.expect.readIndex + messages.length) % v.capacity, 4);
        expected.writeUInt32LE(0, 12);
        assertSameBytes(readSegment(name), expected, 'after dequeuing everything');
        assert.strictEqual(header(name, v.layout).readIndex, v.expect.writeIndex);
      });

      it(`${v.file} (layout ${v.layout}): replaying ${JSON.stringify(v.ops)} rebuilds it byte for byte`, () => {
        const name = res.name();
        const q = queue(name, v.capacity, v.maxMessageSize, true, true, { layout: v.layout });
        assert.strictEqual(q.byteLength, image.length);
        for (const op of v.ops) {
          let m;
          if (op === 'new queue writer') continue;
          if ((m = /^enqueue\('(.*)'\)$/.exec(op))) {
            assert.strictEqual(q.enqueue(m[1]), true, op);
          } else if ((m = /^dequeue\(\) -> '(.*)'$/.exec(op))) {
            assert.strictEqual(q.dequeue(), m[1], op);
          } else {
            assert.fail(`unknown operation in the manifest: ${op}`);
          }
        }
        assertSameBytes(readSegment(name), image, `this module's ${v.layout} queue after ${v.ops.join('; ')}`);
        const h = header(name, v.layout);
        assert.deepStrictEqual([h.writeIndex, h.readIndex, h.count], [v.expect.writeIndex, v.expect.readIndex, v.expect.count]);
      });
    }

    it('a 1.10.0 image opened with layout v2 is refused with ERR_SHM_LAYOUT (too small for the v2 header and slots), unchanged', () => {
      for (const v of vectors.filter((x) => x.layout === 'v1')) {
        const image = fs.readFileSync(path.join(VECTORS, v.file));
        const name = res.name();
        writeSegmentFile(name, image);
        assert.throws(() => new Q(name, undefined, undefined, true, false, { layout: 'v2' }),
          (err) => err.code === 'ERR_SHM_LAYOUT' && !(err instanceof RangeError) && err.segment === name, v.file);
        assertSameBytes(readSegment(name), image, `${v.file} after the refused open`);
      }
    });
  });

  // --- 2. semantics in one process ---------------------------------------------------------------

  describe('semantics', () => {
    it('a new queue: header |0|0|capacity|0|maxMessageSize|0|0| (v2) or 20 bytes (v1), zero slots; the properties; mode 0600 unless options.mode', () => {
      for (const layout of ['v2', 'v1']) {
        const name = res.name();
        const q = queue(name, 5, 24, true, true, { layout });
        const bytes = readSegment(name);
        assert.strictEqual(bytes.length, HEADER_BYTES[layout] + 5 * (4 + 24));
        assert.strictEqual(q.byteLength, bytes.length);
        const expected = Buffer.alloc(bytes.length);
        expected.writeUInt32LE(5, 8);
        expected.writeUInt32LE(24, 16);
        assertSameBytes(bytes, expected, `new ${layout} queue`);
        assert.deepStrictEqual(
          [q.name, q.capacity, q.maxMessageSize, q.layout, q.persistent, q.closed, q.size, q.isEmpty(), q.isFull()],
          [name, 5, 24, layout, true, false, 0, true, false]);
      }
      const d = res.name();
      assert.strictEqual(queue(d, 1, 1).layout, 'v2', 'the default layout');
      if (!POSIX_MODES) return;
      assert.strictEqual(segmentMode(d), 0o600, 'the default mode');
      const m = res.name();
      queue(m, 1, 1, true, true, { mode: 0o640 });
      assert.strictEqual(segmentMode(m), 0o640, 'options.mode');
    });

    it('FIFO: messages come out in the order they went in, across many wrap-arounds and two objects', () => {
      const name = res.name();
      const producer = queue(name, 4, 64);
      const consumer = queue(name, undefined, undefined, true, false);
      let next = 0;
      const got = [];
      for (let round = 0; round < 60; round++) {
        const batch = 1 + (round % 4);
        for (let i = 0; i < batch; i++) assert.strictEqual(producer.enqueue(message('p0', next++)), true);
        assert.strictEqual(consumer.size, batch);
        for (let i = 0; i < batch; i++) got.push(parse(consumer.dequeue()).seq);
      }
      assert.deepStrictEqual(got, upTo(next));
      assert.strictEqual(consumer.dequeue(), undefined);
    });

    it('full: enqueue() returns false and changes nothing; isFull()', () => {
      const name = res.name();
      const q = queue(name, 3, 8);
      for (const m of ['a', 'bb', 'ccc']) assert.strictEqual(q.enqueue(m), true);
      assert.ok(q.isFull());
      const before = readSegment(name);
      assert.strictEqual(q.enqueue('dddd'), false);
      assert.strictEqual(q.enqueue(Buffer.from('eeee')), false);
      assertSameBytes(readSegment(name), before, 'a refused enqueue');
      assert.strictEqual(q.size, 3);
      assert.deepStrictEqual([q.dequeue(), q.dequeue(), q.dequeue(), q.dequeue()], ['a', 'bb', 'ccc', undefined]);
    });

    it('empty: dequeue() and peek() return undefined and change nothing; isEmpty()', () => {
      const name = res.name();
      const q = queue(name, 2, 8);
      const before = readSegment(name);
      assert.strictEqual(q.dequeue(), undefined);
      assert.strictEqual(q.peek(), undefined);
      assert.ok(q.isEmpty());
      assertSameBytes(readSegment(name), before, 'dequeue()/peek() on an empty queue');
      const b = queue(name, 2, 8, true, false, { encoding: 'buffer' });
      assert.strictEqual(b.dequeue(), undefined);
      assert.strictEqual(b.peek(), undefined);
    });

    it('peek() returns the oldest message without removing it', () => {
      const name = res.name();
      const q = queue(name, 4, 16);
      q.enqueue('first');
      q.enqueue('second');
      const before = readSegment(name);
      assert.strictEqual(q.peek(), 'first');
      assert.strictEqual(q.peek(), 'first');
      assertSameBytes(readSegment(name), before, 'peek()');
      assert.strictEqual(q.size, 2);
      assert.strictEqual(q.dequeue(), 'first');
      assert.strictEqual(q.peek(), 'second');
    });

    it('a message larger than maxMessageSize (in UTF-8 bytes) is a RangeError ERR_SHM_TOO_LARGE naming the limit; nothing is written', () => {
      const name = res.name();
      const q = queue(name, 4, 8);
      q.enqueue('keep');
      const before = readSegment(name);
      for (const value of ['123456789', 'é'.repeat(4) + 'x', Buffer.alloc(9), new Float64Array(2)]) {
        assert.throws(() => q.enqueue(value), (err) => err instanceof RangeError && err.code === 'ERR_SHM_TOO_LARGE' &&
          /\b8\b/.test(err.message) && /maxMessageSize/.test(err.message), `enqueue(${String(value).slice(0, 20)})`);
      }
      assertSameBytes(readSegment(name), before, 'a too-large enqueue');
      // Exactly maxMessageSize bytes fit, in characters of any width.
      assert.strictEqual(q.enqueue('é'.repeat(4)), true);
      assert.strictEqual(q.enqueue(new Float64Array([Math.PI])), true);
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['keep', 'é'.repeat(4)]);
    });

    it("strings (non-ASCII, empty, with NUL) and the bytes of Buffer, views at an offset, Float64Array, DataView, SharedArrayBuffer; encoding 'buffer'", () => {
      const name = res.name();
      const q = queue(name, 16, 64);
      const b = queue(name, undefined, undefined, true, false, { encoding: 'buffer' });
      const strings = ['Grüße, 世界 😃 — ñ ∑ 🇫🇷', '', 'a\u0000b', 'x'.repeat(64)];
      for (const s of strings) assert.strictEqual(q.enqueue(s), true);
      for (const s of strings) assert.strictEqual(q.dequeue(), s);
      for (const s of strings) q.enqueue(s);
      for (const s of strings) {
        const got = b.dequeue();
        assert.ok(Buffer.isBuffer(got), `encoding 'buffer' gave ${got}`);
        assert.deepStrictEqual(got, Buffer.from(s));
      }

      const backing = Uint8Array.from(upTo(40), (i) => i * 3);
      const f64 = new Float64Array([1.5, -0, NaN, Number.MAX_VALUE]);
      const views = [
        ['Buffer', Buffer.from([1, 2, 3, 250])],
        ['an empty Buffer', Buffer.alloc(0)],
        ['a Uint8Array view at an offset', backing.subarray(5, 17)],
        ['a Float64Array', f64],
        ['a DataView at an offset', new DataView(backing.buffer, 30, 6)],
        ['an Int16Array', new Int16Array([-1, 2, -3])],
        ['a view of a SharedArrayBuffer', new Uint8Array(new SharedArrayBuffer(8)).fill(7).subarray(2, 5)],
        ['a BigInt64Array', new BigInt64Array([-2n])],
      ];
      const bytesOf = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      for (const [, v] of views) assert.strictEqual(q.enqueue(v), true);
      for (const [label, v] of views) assert.deepStrictEqual(b.dequeue(), bytesOf(v), label);
      // peek() with encoding 'buffer' gives a copy: changing it changes nothing in the queue.
      q.enqueue('abc');
      b.peek()[0] = 0x7a;
      assert.strictEqual(q.dequeue(), 'abc');
      // The same bytes read as UTF-8 strings by the default encoding.
      q.enqueue(Buffer.from([0x68, 0xc3, 0xa9, 0xff]));
      assert.strictEqual(q.dequeue(), 'hé\ufffd');
      // An empty message is not "empty queue".
      q.enqueue('');
      assert.strictEqual(q.peek(), '');
      assert.strictEqual(q.size, 1);
      assert.strictEqual(q.dequeue(), '');
      assert.strictEqual(q.dequeue(), undefined);
    });

    it('a short message in a slot that held a longer one comes back at its own length', () => {
      const name = res.name();
      const q = queue(name, 1, 32, true, true, { encoding: 'buffer' });
      q.enqueue('a long message filling the slot');
      q.dequeue();
      q.enqueue('short');
      assert.deepStrictEqual(q.dequeue(), Buffer.from('short'));
    });

    it('messages larger than 64 KiB (beyond the addon scratch buffer) round-trip whole', () => {
      const name = res.name();
      const q = queue(name, 3, 300000);
      const big = 'ß'.repeat(100000) + '!';
      const bytes = Buffer.alloc(250000).map((_, i) => i % 251);
      q.enqueue(big);
      q.enqueue(bytes);
      q.enqueue('small');
      assert.strictEqual(q.peek(), big);
      assert.strictEqual(q.dequeue(), big);
      assert.deepStrictEqual(queue(name, undefined, undefined, true, false, { encoding: 'buffer' }).dequeue(), bytes);
      assert.strictEqual(q.dequeue(), 'small');
    });

    it('opening a queue that does not exist (isWriter false) is an Error with code ENOENT naming it', () => {
      const name = res.name();
      assert.throws(() => new Q(name, undefined, undefined, true, false),
        (err) => err.code === 'ENOENT' && err.segment === name && err.message.includes(name));
      assert.throws(() => new Q(name, 4, 8, true, false), { code: 'ENOENT' });
      assert.ok(!segmentExists(name));
    });

    it('opening with a capacity or maxMessageSize that does not match the header is ERR_SHM_LAYOUT, and changes nothing', () => {
      const name = res.name();
      queue(name, 4, 16).enqueue('kept');
      const before = readSegment(name);
      const cases = [[5, 16, false], [4, 17, false], [3, undefined, false], [undefined, 8, false], [5, 16, true], [4, 8, true]];
      for (const [capacity, max, isWriter] of cases) {
        assert.throws(() => new Q(name, capacity, max, true, isWriter),
          (err) => err.constructor === Error && err.code === 'ERR_SHM_LAYOUT' && err.segment === name,
          `capacity ${capacity}, maxMessageSize ${max}, isWriter ${isWriter}`);
      }
      assertSameBytes(readSegment(name), before, 'after the refused opens');
      // Matching values attach to the queue as it is (a writer does not recreate or clear it).
      assert.strictEqual(queue(name, 4, 16, true, true).peek(), 'kept');
      assert.strictEqual(queue(name, 4, 16, true, false).dequeue(), 'kept');
    });

    it('a segment holding something other than a queue is refused with ERR_SHM_LAYOUT and left unchanged', () => {
      const name = res.name();
      res.writer(name, 256).writeString('a stream, not a queue');
      const before = readSegment(name);
      assert.throws(() => new Q(name, undefined, undefined, true, false), { code: 'ERR_SHM_LAYOUT' });
      assert.throws(() => new Q(name, 4, 8, true, true), { code: 'ERR_SHM_LAYOUT' });
      assertSameBytes(readSegment(name), before, 'the stream segment');
    });

    describe('bad arguments: TypeError or RangeError naming the argument, and no segment made', () => {
      const N = 'placeholder';
      const ctorCases = [
        ['capacity 0', [N, 0, 8], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ['capacity 1.5', [N, 1.5, 8], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ['capacity -1', [N, -1, 8], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ['capacity NaN', [N, NaN, 8], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ['capacity 2**32', [N, 2 ** 32, 8], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ["capacity 'x'", [N, 'x', 8], TypeError, 'ERR_INVALID_ARG_TYPE', /capacity/],
        ['capacity omitted by a writer', [N, undefined, 8], TypeError, 'ERR_INVALID_ARG_TYPE', /capacity/],
        ['maxMessageSize 0', [N, 4, 0], RangeError, 'ERR_OUT_OF_RANGE', /maxMessageSize/],
        ['maxMessageSize 2.5', [N, 4, 2.5], RangeError, 'ERR_OUT_OF_RANGE', /maxMessageSize/],
        ["maxMessageSize '8'", [N, 4, '8'], TypeError, 'ERR_INVALID_ARG_TYPE', /maxMessageSize/],
        ['maxMessageSize omitted by a writer', [N, 4], TypeError, 'ERR_INVALID_ARG_TYPE', /maxMessageSize/],
        ['capacity × (4 + maxMessageSize) beyond 4 GiB', [N, 2 ** 20, 2 ** 20], RangeError, 'ERR_OUT_OF_RANGE', /capacity/],
        ["persistent 'yes'", [N, 4, 8, 'yes'], TypeError, 'ERR_INVALID_ARG_TYPE', /persistent/],
        ['isWriter 1', [N, 4, 8, true, 1], TypeError, 'ERR_INVALID_ARG_TYPE', /isWriter/],
        ["options 'v1'", [N, 4, 8, true, true, 'v1'], TypeError, 'ERR_INVALID_ARG_TYPE', /options/],
        ["layout 'v0'", [N, 4, 8, true, true, { layout: 'v0' }], TypeError, 'ERR_INVALID_ARG_VALUE', /options\.layout/],
        ["layout 'v3'", [N, 4, 8, true, true, { layout: 'v3' }], TypeError, 'ERR_INVALID_ARG_VALUE', /options\.layout/],
        ['layout 2', [N, 4, 8, true, true, { layout: 2 }], TypeError, 'ERR_INVALID_ARG_TYPE', /options\.layout/],
        ["encoding 'latin1'", [N, 4, 8, true, true, { encoding: 'latin1' }], TypeError, 'ERR_INVALID_ARG_VALUE', /options\.encoding/],
        ["encoding 'UTF8'", [N, 4, 8, true, true, { encoding: 'UTF8' }], TypeError, 'ERR_INVALID_ARG_VALUE', /options\.encoding/],
        ['encoding 5', [N, 4, 8, true, true, { encoding: 5 }], TypeError, 'ERR_INVALID_ARG_TYPE', /options\.encoding/],
        ['lockTimeout 0', [N, 4, 8, true, true, { lockTimeout: 0 }], RangeError, 'ERR_OUT_OF_RANGE', /options\.lockTimeout/],
        ["pollInterval '2'", [N, 4, 8, true, true, { pollInterval: '2' }], TypeError, 'ERR_INVALID_ARG_TYPE', /options\.pollInterval/],
        ['mode 0o1000', [N, 4, 8, true, true, { mode: 0o1000 }], RangeError, 'ERR_OUT_OF_RANGE', /options\.mode/],
        ['name 42', [42, 4, 8], TypeError, 'ERR_INVALID_ARG_TYPE', /name/],
        ["name ''", ['', 4, 8], RangeError, 'ERR_OUT_OF_RANGE', /name/],
        ["name 'a/b'", ['a/b', 4, 8], RangeError, 'ERR_OUT_OF_RANGE', /name/],
      ];
      for (const [label, args, Ctor, code, pattern] of ctorCases) {
        it(`new NodeSharedMemoryQueue(${label}) -> ${Ctor.name} ${code}`, () => {
          const name = typeof args[0] === 'string' && args[0] === N ? res.name() : args[0];
          const real = [name, ...args.slice(1)];
          assert.throws(() => new Q(...real), (err) => err instanceof Ctor && err.code === code && pattern.test(err.message),
            `${label}: expected ${Ctor.name} ${code} matching ${pattern}`);
          if (typeof name === 'string' && name !== '' && !name.includes('/')) assert.ok(!segmentExists(name), `${label} made the segment`);
        });
      }

      it('enqueue() and enqueueWait() of a value that is not a string or an ArrayBufferView: TypeError naming value; nothing written', async () => {
        const name = res.name();
        const q = queue(name, 4, 8);
        q.enqueue('x');
        const before = readSegment(name);
        for (const bad of [5, null, undefined, {}, [1, 2], new ArrayBuffer(4), true, Symbol('s')]) {
          const label = typeof bad === 'symbol' ? 'a symbol' : Object.prototype.toString.call(bad);
          assert.throws(() => q.enqueue(bad), (err) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE' && /\bvalue\b/.test(err.message), `enqueue(${label})`);
          const err = await failureOf(() => q.enqueueWait(bad, { timeout: 100 }), `enqueueWait(${label})`);
          assert.ok(err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE' && /\bvalue\b/.test(err.message), `enqueueWait(${label}): ${err}`);
        }
        assertSameBytes(readSegment(name), before, 'after the refused enqueues');
      });

      it('bad wait options: TypeError / RangeError naming options.timeout or options.signal', async () => {
        const q = queue(res.name(), 4, 8);
        const cases = [
          ['x', TypeError, /options/],
          [{ timeout: -1 }, RangeError, /options\.timeout/],
          [{ timeout: 1.5 }, RangeError, /options\.timeout/],
          [{ timeout: '10' }, TypeError, /options\.timeout/],
          [{ signal: {} }, TypeError, /options\.signal/],
        ];
        for (const [options, Ctor, pattern] of cases) {
          for (const [what, call] of [['dequeueWait', () => q.dequeueWait(options)], ['enqueueWait', () => q.enqueueWait('v', options)]]) {
            const err = await failureOf(call, `${what}(${JSON.stringify(options)})`);
            assert.ok(err instanceof Ctor && pattern.test(err.message), `${what}(${JSON.stringify(options)}): ${err}`);
          }
        }
        assert.strictEqual(q.size, 0, 'a refused enqueueWait enqueued');
      });
    });

    it('after close(): every operation is ERR_SHM_CLOSED; close() again, ref() and unref() are no-ops; the plain properties stay', async () => {
      const name = res.name();
      const q = queue(name, 4, 8);
      q.enqueue('left');
      let closeEvents = 0;
      q.on('close', () => { closeEvents++; });
      q.close();
      assert.strictEqual(q.closed, true);
      const ops = {
        'enqueue()': () => q.enqueue('x'),
        'dequeue()': () => q.dequeue(),
        'peek()': () => q.peek(),
        size: () => q.size,
        'isEmpty()': () => q.isEmpty(),
        'isFull()': () => q.isFull(),
      };
      for (const [what, call] of Object.entries(ops)) {
        assert.throws(call, (err) => err.code === 'ERR_SHM_CLOSED' && err.segment === name, what);
      }
      for (const [what, call] of [['dequeueWait()', () => q.dequeueWait()], ['enqueueWait()', () => q.enqueueWait('x')]]) {
        const err = await failureOf(call, what);
        assert.strictEqual(err.code, 'ERR_SHM_CLOSED', `${what}: ${err}`);
      }
      const seen = [];
      for await (const m of q) seen.push(m);
      assert.deepStrictEqual(seen, [], 'for await over a closed queue');
      q.close();
      assert.strictEqual(q.unref(), q);
      assert.strictEqual(q.ref(), q);
      assert.strictEqual(closeEvents, 1);
      assert.deepStrictEqual([q.name, q.capacity, q.maxMessageSize, q.layout, q.persistent], [name, 4, 8, 'v2', true]);
      // The segment (persistent) still holds the message.
      assert.strictEqual(queue(name, undefined, undefined, true, false).dequeue(), 'left');
    });

    it('Symbol.dispose closes the queue', () => {
      assert.strictEqual(typeof Symbol.dispose, 'symbol', 'Node.js >= 20 has Symbol.dispose');
      const q = queue(res.name(), 2, 8);
      q[Symbol.dispose]();
      assert.ok(q.closed);
    });

    it('persistent false removes the segment on close, for a writer and for a reader; persistent true keeps it', () => {
      const a = res.name();
      queue(a, 2, 8, false).close();
      assert.ok(!segmentExists(a), 'a non-persistent writer left its segment');

      const b = res.name();
      const w = queue(b, 2, 8, true);
      const r = queue(b, undefined, undefined, false, false);
      assert.strictEqual(r.persistent, false);
      w.close();
      assert.ok(segmentExists(b), 'a persistent writer removed its segment');
      r.close();
      assert.ok(!segmentExists(b), 'a non-persistent reader left the segment');
    });

    it('a corrupted header is ERR_SHM_LAYOUT, never a crash: count > capacity, an index out of range, a slot length too large, slots past the end', () => {
      const name = res.name();
      const q = queue(name, 4, 8);
      q.enqueue('one');
      const pristine = readSegment(name);
      const corruptions = [
        ['count 5 > capacity 4', 12, 5, ['size', 'enqueue', 'dequeue', 'peek', 'open']],
        ['count 0xffffffff', 12, 0xffffffff, ['size', 'enqueue', 'dequeue', 'open']],
        ['writeIndex 4 (= capacity)', 0, 4, ['enqueue', 'open']],
        ['readIndex 1000', 4, 1000, ['dequeue', 'peek', 'open']],
        ['slot 0 length 9 > maxMessageSize 8', 28, 9, ['dequeue', 'peek']],
        ['capacity 1000000 (slots past the end)', 8, 1000000, ['open']],
        ['maxMessageSize 0', 16, 0, ['open']],
      ];
      const calls = {
        size: () => q.size,
        enqueue: () => q.enqueue('x'),
        dequeue: () => q.dequeue(),
        peek: () => q.peek(),
        open: () => new Q(name, undefined, undefined, true, false).close(),
      };
      for (const [label, offset, value, what] of corruptions) {
        pokeSegment(name, 0, pristine);
        pokeSegment(name, offset, u32(value));
        for (const op of what) {
          assert.throws(calls[op], (err) => err.code === 'ERR_SHM_LAYOUT' && err.segment === name, `${label}: ${op}`);
        }
      }
      pokeSegment(name, 0, pristine);
      assert.strictEqual(q.dequeue(), 'one', 'the repaired queue works again');
    });

    it('a v2 lock held by a libsharedmemory peer (1) makes that side wait lockTimeout, then ERR_SHM_LOCK_TIMEOUT; the other side is unaffected', () => {
      const name = res.name();
      const q = queue(name, 4, 8, true, true, { lockTimeout: 40 });
      q.enqueue('a');
      pokeSegment(name, 24, u32(1)); // consumerLock
      const t0 = Date.now();
      assert.throws(() => q.dequeue(), (err) => err.code === 'ERR_SHM_LOCK_TIMEOUT' && /consumer lock/.test(err.message));
      assert.ok(Date.now() - t0 >= 35, `gave up after ${Date.now() - t0} ms`);
      assert.strictEqual(q.enqueue('b'), true, 'the producer lock is free');
      pokeSegment(name, 24, u32(0));
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['a', 'b']);
    });

    it('a child process whose queue segment is truncated to 0 under it gets ERR_SHM_FAULT, not SIGBUS', async function () {
      notOnWindows(this, ON_WINDOWS.truncate);
      const name = res.name();
      queue(name, 8, 16).enqueue('x');
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      assert.strictEqual(await peer.call('size', { id }), 1);
      truncateSegment(name, 0);
      for (const [op, args] of [['size', {}], ['dequeue', {}], ['enqueue', { values: ['y'] }]]) {
        const err = await peer.call(op, { id, ...args }).then(() => null, (e) => e);
        assert.ok(err, `${op} on a truncated segment succeeded`);
        assert.strictEqual(err.code, 'ERR_SHM_FAULT', `${op}: ${err.message}`);
      }
      assert.strictEqual(await peer.call('size', { id }).catch((e) => e.code), 'ERR_SHM_FAULT', 'the child is still alive');
      assert.strictEqual(peer.exitInfo, null);
    });
  });

  // --- 3. and 5. many producers and consumers in other processes; layout v1 -----------------------

  describe('processes', () => {
    it('layout v2: 3 producer processes × 5000 messages, 3 consumer processes and this one: each message exactly once, in order per producer', async function () {
      this.timeout(30000);
      const PRODUCERS = 3;
      const PER_PRODUCER = 5000;
      const name = res.name();
      const CAPACITY = 16;
      const mine = queue(name, CAPACITY, 64);
      const stopper = queue(name, undefined, undefined, true, false);
      const peers = await Promise.all(upTo(PRODUCERS + 3).map(() => forkQueuePeer()));
      const ids = await Promise.all(peers.map((p) => p.call('open', { name })));
      assert.strictEqual(new Set(peers.map((p) => p.pid)).size, peers.length);
      const t0 = Date.now();

      // Consumers first (waiting on an empty queue), then the producers. One consumer child uses
      // for await, the others dequeueWait(); producer p0 retries enqueue() on false, the others
      // use enqueueWait().
      const consumers = peers.slice(PRODUCERS).map((p, i) => p.call('consume', { id: ids[PRODUCERS + i].id, stop: 'STOP', iterate: i === 2 }));
      const local = (async () => {
        const received = {};
        const corrupt = [];
        let total = 0;
        for (;;) {
          const m = await mine.dequeueWait({ timeout: 15000 });
          if (m === 'STOP') break;
          total++;
          const p = parse(m);
          if (p) (received[p.producer] ||= []).push(p.seq);
          else corrupt.push(m);
        }
        return { received, corrupt, total, pid: process.pid };
      })();
      const produced = await Promise.all(peers.slice(0, PRODUCERS).map((p, i) =>
        p.call('produce', { id: ids[i].id, producer: `p${i}`, count: PER_PRODUCER, mode: i === 0 ? 'retry' : 'wait' })));
      // Every message is in before the stops: FIFO hands each consumer exactly one stop, after its data.
      for (let i = 0; i < 4; i++) await stopper.enqueueWait('STOP', { timeout: 15000 });
      const results = [...await Promise.all(consumers), await local];
      const ms = Date.now() - t0;

      const totals = results.map((r) => r.total);
      console.log(`      queue: ${PRODUCERS} producer processes × ${PER_PRODUCER} messages through ${CAPACITY} slots in ${ms} ms; ` +
        `consumers (3 children, this process) received ${totals.join(' + ')} = ${totals.reduce((a, b) => a + b, 0)}; ` +
        `p0 found the queue full ${produced[0].full} times`);

      for (const r of results) assert.deepStrictEqual(r.corrupt, [], `consumer ${r.pid} received torn messages`);
      for (let i = 0; i < PRODUCERS; i++) {
        const producer = `p${i}`;
        assert.strictEqual(produced[i].sent, PER_PRODUCER);
        const all = [];
        for (const r of results) {
          const seqs = r.received[producer] || [];
          for (let k = 1; k < seqs.length; k++) {
            assert.ok(seqs[k] > seqs[k - 1], `consumer ${r.pid} received ${producer}:${seqs[k]} after ${producer}:${seqs[k - 1]}`);
          }
          all.push(...seqs);
        }
        all.sort((a, b) => a - b);
        const dup = all.filter((s, k) => k > 0 && s === all[k - 1]);
        assert.deepStrictEqual(dup, [], `${producer}: delivered more than once`);
        assert.strictEqual(all.length, PER_PRODUCER, `${producer}: ${PER_PRODUCER - all.length} messages lost`);
        assert.deepStrictEqual(all, upTo(PER_PRODUCER));
      }
      assert.strictEqual(totals.reduce((a, b) => a + b, 0), PRODUCERS * PER_PRODUCER);
      assert.ok(totals.filter((t) => t > 0).length >= 2, `the work was not shared: ${totals}`);
      // The header is consistent and both locks are free.
      const h = header(name);
      assert.deepStrictEqual(h, {
        writeIndex: (PRODUCERS * PER_PRODUCER + 4) % CAPACITY, readIndex: (PRODUCERS * PER_PRODUCER + 4) % CAPACITY,
        capacity: CAPACITY, count: 0, maxMessageSize: 64, producerLock: 0, consumerLock: 0,
      });
    });

    it('layout v1: one producer process and one consumer process exchange 2000 messages in order', async () => {
      const name = res.name();
      const COUNT = 2000;
      queue(name, 8, 64, true, true, { layout: 'v1' });
      const [producer, consumer] = await Promise.all([forkQueuePeer(), forkQueuePeer()]);
      const [p, c] = await Promise.all([
        producer.call('open', { name, options: { layout: 'v1' } }),
        consumer.call('open', { name, options: { layout: 'v1' } }),
      ]);
      assert.strictEqual(p.layout, 'v1');
      const t0 = Date.now();
      const received = consumer.call('consume', { id: c.id, limit: COUNT });
      const sent = await producer.call('produce', { id: p.id, producer: 'p0', count: COUNT, mode: 'wait' });
      const r = await received;
      console.log(`      queue v1: ${COUNT} messages from one process to another through 8 slots in ${Date.now() - t0} ms`);
      assert.strictEqual(sent.sent, COUNT);
      assert.deepStrictEqual(r.corrupt, []);
      assert.deepStrictEqual(r.received.p0, upTo(COUNT));
      assert.deepStrictEqual(header(name, 'v1'), { writeIndex: COUNT % 8, readIndex: COUNT % 8, capacity: 8, count: 0, maxMessageSize: 64 });
    });
  });

  describe('process exit', () => {
    for (const [how, op] of [['process.exit()', 'exit'], ['ending by itself', 'leave']]) {
      it(`a child ${how} with an open non-persistent queue (and a pending wait) removes the segment; a persistent one stays`, async () => {
        const gone = res.name();
        const kept = res.name();
        queue(kept, 2, 8);
        const peer = await forkQueuePeer();
        const a = await peer.call('open', { name: gone, capacity: 2, maxMessageSize: 8, persistent: false, isWriter: true });
        await peer.call('open', { name: kept });
        await peer.call('pendingDequeue', { id: a.id, tag: 'gone', unref: true });
        assert.ok(segmentExists(gone));
        await peer.end(op);
        assert.strictEqual(peer.exitInfo.code, 0);
        assert.ok(!segmentExists(gone), `the child (${how}) left its non-persistent queue behind`);
        assert.ok(segmentExists(kept), `the child (${how}) removed a persistent queue`);
      });
    }
  });

  // --- 4. waits ----------------------------------------------------------------------------------

  describe('waits', () => {
    it('dequeueWait() resolves when another process enqueues (a string; a Float64Array as a Buffer)', async () => {
      const name = res.name();
      const q = queue(name, 4, 32);
      const b = queue(name, undefined, undefined, true, false, { encoding: 'buffer' });
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const p = track(q.dequeueWait({ timeout: 10000 }));
      await turn();
      assert.ok(!p.settled, 'dequeueWait() settled on an empty queue');
      await peer.call('enqueue', { id, values: ['from the child 😃'] });
      assert.strictEqual(await p.promise, 'from the child 😃');
      const f64 = new Float64Array([Math.E, -1e300]);
      const pb = b.dequeueWait({ timeout: 10000 });
      await peer.call('enqueue', { id, values: [f64] });
      assert.deepStrictEqual(await pb, Buffer.from(f64.buffer));
      assert.strictEqual(q.size, 0);
    });

    it('dequeueWait() notices, within pollInterval, a message written by a peer that wakes nobody (bytes poked in as the C++ library writes them)', async () => {
      const name = res.name();
      const q = queue(name, 2, 8, true, true, { pollInterval: 5 });
      q.enqueue('a');
      q.dequeue(); // writeIndex 1: the next message goes to slot 1
      const p = q.dequeueWait({ timeout: 5000 });
      await turn();
      const slot = Buffer.alloc(7);
      slot.writeUInt32LE(3);
      slot.write('cpp', 4);
      pokeSegment(name, 28 + 1 * 12, slot);
      pokeSegment(name, 0, u32(0)); // writeIndex
      pokeSegment(name, 12, u32(1)); // count, last
      assert.strictEqual(await p, 'cpp');
    });

    it('dequeueWait({timeout}) on an empty queue rejects with ERR_SHM_TIMEOUT naming the segment, and takes nothing afterwards', async () => {
      const name = res.name();
      const q = queue(name, 4, 16);
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const t0 = Date.now();
      await assert.rejects(q.dequeueWait({ timeout: 60 }), (err) => err.code === 'ERR_SHM_TIMEOUT' && err.segment === name);
      assert.ok(Date.now() - t0 >= 55, `timed out after ${Date.now() - t0} ms`);
      await peer.call('enqueue', { id, values: ['later'] });
      assert.strictEqual(await peer.call('size', { id }), 1);
      assert.strictEqual(q.size, 1, 'the timed-out wait took the message');
      assert.strictEqual(q.dequeue(), 'later');
    });

    it('enqueueWait({timeout}) on a full queue rejects with ERR_SHM_TIMEOUT and enqueues nothing afterwards', async () => {
      const name = res.name();
      const q = queue(name, 2, 16);
      q.enqueue('a');
      q.enqueue('b');
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      await assert.rejects(q.enqueueWait('never', { timeout: 50 }), { code: 'ERR_SHM_TIMEOUT' });
      assert.deepStrictEqual(await peer.call('dequeue', { id }), ['a']);
      assert.strictEqual(await peer.call('size', { id }), 1);
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['b', undefined]);
    });

    it('an AbortSignal: abort() rejects the wait with AbortError (cause: the reason); an aborted signal rejects at once; nothing is taken or added', async () => {
      const name = res.name();
      const q = queue(name, 1, 16);
      const ac = new AbortController();
      const p = q.dequeueWait({ signal: ac.signal });
      await turn();
      const reason = new Error('stop waiting');
      ac.abort(reason);
      await assert.rejects(p, (err) => err.name === 'AbortError' && err.cause === reason);
      await assert.rejects(q.dequeueWait({ signal: ac.signal }), { name: 'AbortError' });

      q.enqueue('full');
      const ac2 = new AbortController();
      const e = q.enqueueWait('blocked', { signal: ac2.signal });
      await turn();
      ac2.abort();
      await assert.rejects(e, { name: 'AbortError' });
      await assert.rejects(q.enqueueWait('x', { signal: ac2.signal }), { name: 'AbortError' });
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['full', undefined]);
      q.enqueue('after');
      assert.strictEqual(await q.dequeueWait({ timeout: 1000 }), 'after');
    });

    it('close() while waiting rejects every pending dequeueWait() and enqueueWait() with ERR_SHM_CLOSED', async () => {
      const name = res.name();
      const consumer = queue(name, 1, 8);
      const d = [consumer.dequeueWait(), consumer.dequeueWait({ timeout: 10000 })];
      const producer = queue(name, undefined, undefined, true, false);
      await turn();
      consumer.close();
      for (const p of d) await within(assert.rejects(p, { code: 'ERR_SHM_CLOSED' }), 2000, 'dequeueWait() after close()');
      producer.enqueue('x');
      const e = producer.enqueueWait('y');
      await turn();
      producer.close();
      await within(assert.rejects(e, { code: 'ERR_SHM_CLOSED' }), 2000, 'enqueueWait() after close()');
      const check = queue(name, undefined, undefined, true, false);
      assert.deepStrictEqual([check.dequeue(), check.dequeue()], ['x', undefined]);
    });

    it('enqueueWait() on a full queue resolves after another process dequeues', async () => {
      const name = res.name();
      const q = queue(name, 2, 16);
      q.enqueue('a');
      q.enqueue('b');
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const p = track(q.enqueueWait('c', { timeout: 10000 }));
      await turn();
      assert.ok(!p.settled, 'enqueueWait() settled on a full queue');
      assert.deepStrictEqual(await peer.call('dequeue', { id }), ['a']);
      await p.promise;
      assert.deepStrictEqual(await peer.call('dequeue', { id, count: 3 }), ['b', 'c', undefined]);
    });

    it('several enqueueWait() calls on one object complete in call order (a timed-out one in the middle drops out)', async () => {
      const name = res.name();
      const q = queue(name, 2, 16);
      q.enqueue('a');
      q.enqueue('b');
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const order = [];
      const p1 = q.enqueueWait('c', { timeout: 10000 }).then(() => order.push('c'));
      const p2 = q.enqueueWait('X', { timeout: 30 }).then(() => order.push('X'), (err) => { order.push(err.code); });
      const p3 = q.enqueueWait('d', { timeout: 10000 }).then(() => order.push('d'));
      const p4 = q.enqueueWait('e', { timeout: 10000 }).then(() => order.push('e'));
      await p2;
      assert.deepStrictEqual(order, ['ERR_SHM_TIMEOUT']);
      // Two slots free at once: the first two waiters fill them, in call order; the last still waits.
      assert.deepStrictEqual(await peer.call('dequeue', { id, count: 2 }), ['a', 'b']);
      await Promise.all([p1, p3]);
      assert.deepStrictEqual(order, ['ERR_SHM_TIMEOUT', 'c', 'd']);
      assert.deepStrictEqual(await peer.call('dequeue', { id, count: 2 }), ['c', 'd']);
      await p4;
      assert.deepStrictEqual(order, ['ERR_SHM_TIMEOUT', 'c', 'd', 'e']);
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['e', undefined]);
    });

    it('several dequeueWait() calls on one object resolve in call order with the messages in FIFO order (an aborted one drops out)', async () => {
      const name = res.name();
      const q = queue(name, 8, 16);
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const order = [];
      const ac = new AbortController();
      const waits = [
        q.dequeueWait().then((v) => { order.push(1); return v; }),
        q.dequeueWait({ signal: ac.signal }).then((v) => { order.push('aborted one'); return v; }, (err) => err.name),
        q.dequeueWait({ timeout: 10000 }).then((v) => { order.push(3); return v; }),
        q.dequeueWait().then((v) => { order.push(4); return v; }),
      ];
      await turn();
      ac.abort();
      assert.strictEqual(await waits[1], 'AbortError');
      await peer.call('enqueue', { id, values: ['m1', 'm2', 'm3', 'm4'] });
      assert.deepStrictEqual(await Promise.all([waits[0], waits[2], waits[3]]), ['m1', 'm2', 'm3']);
      assert.deepStrictEqual(order, [1, 3, 4]);
      assert.strictEqual(q.dequeue(), 'm4');
    });

    it('for await yields the messages of a child producer in order and ends, without throwing, on close()', async () => {
      const name = res.name();
      const COUNT = 200;
      const q = queue(name, 4, 64);
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const got = [];
      const loop = (async () => {
        for await (const m of q) {
          got.push(parse(m).seq);
          if (got.length === COUNT) setImmediate(() => q.close()); // the loop is then waiting on an empty queue
        }
        return 'ended';
      })();
      const sent = await peer.call('produce', { id, producer: 'p7', count: COUNT, mode: 'wait' });
      assert.strictEqual(sent.sent, COUNT);
      assert.strictEqual(await within(loop, 5000, 'the for await loop'), 'ended');
      assert.deepStrictEqual(got, upTo(COUNT));
      assert.ok(q.closed);
    });

    it('breaking out of for await leaves the queue open, with the rest of the messages in it', async () => {
      const q = queue(res.name(), 4, 8);
      for (const m of ['1', '2', '3']) q.enqueue(m);
      for await (const m of q) if (m === '2') break;
      assert.ok(!q.closed);
      assert.deepStrictEqual([q.size, q.dequeue()], [1, '3']);
    });

    it("unref(): a child process whose only pending work is an unref()'d dequeueWait() exits by itself (unref() before or during the wait); after ref() it stays until a message comes", async () => {
      const name = res.name();
      const q = queue(name, 4, 16);
      const [before, during, kept] = await Promise.all([forkQueuePeer(), forkQueuePeer(), forkQueuePeer()]);
      const [a, b, c] = await Promise.all([before, during, kept].map((p) => p.call('open', { name })));
      assert.deepStrictEqual(await before.call('pendingDequeue', { id: a.id, tag: 'before', unref: true }), { waiting: true });
      assert.deepStrictEqual(await during.call('pendingDequeue', { id: b.id, tag: 'during', unrefAfter: true }), { waiting: true });
      assert.deepStrictEqual(await kept.call('pendingDequeue', { id: c.id, tag: 'kept', unref: true, refAgain: true }), { waiting: true });
      const keptGone = new Promise((resolve) => kept.endpoint.once('disconnect', resolve));
      for (const p of [before, during, kept]) p.call('leave').catch(() => {});
      for (const [p, what] of [[before, 'unref() before dequeueWait()'], [during, 'unref() during dequeueWait()']]) {
        assert.deepStrictEqual(await within(p.exited, 5000, `the child with ${what}`), { code: 0, signal: null });
        assert.deepStrictEqual(settledLines(p), [], `the wait of the child with ${what} settled`);
      }
      await keptGone;
      assert.strictEqual(kept.exitInfo, null, 'the child with a ref()\'d dequeueWait() exited while it was pending');
      q.enqueue('wake up');
      assert.deepStrictEqual(await within(kept.exited, 5000, 'the child after its wait resolved'), { code: 0, signal: null });
      assert.deepStrictEqual(settledLines(kept), [{ event: 'settled', tag: 'kept', ok: true, value: 'wake up' }]);
      assert.strictEqual(q.size, 0);
    });

    it('a pending dequeueWait() rejects with ERR_SHM_FAULT when the segment is truncated under it (instead of waiting on)', async function () {
      notOnWindows(this, ON_WINDOWS.truncate);
      const name = res.name();
      queue(name, 4, 16);
      const peer = await forkQueuePeer();
      const { id } = await peer.call('open', { name });
      const settled = nextSettled(peer, 'truncated');
      await peer.call('pendingDequeue', { id, tag: 'truncated', timeout: 1000 });
      truncateSegment(name, 0);
      // A direct call there sees the fault at once...
      assert.strictEqual(await peer.call('size', { id }).catch((e) => e.code), 'ERR_SHM_FAULT');
      // ...and so should the wait: without a timeout it would otherwise never settle.
      const event = await within(settled, 5000, 'the wait on the truncated segment');
      assert.deepStrictEqual({ ok: event.ok, code: event.code }, { ok: false, code: 'ERR_SHM_FAULT' },
        `the pending dequeueWait() settled with ${event.code || JSON.stringify(event.value)}`);
      assert.strictEqual(peer.exitInfo, null, 'the child died');
    });

    it('enqueueWait() of a message larger than maxMessageSize rejects with ERR_SHM_TOO_LARGE at once, also behind other pending enqueueWait() calls', async () => {
      const name = res.name();
      const q = queue(name, 1, 8);
      q.enqueue('full');
      // Alone: rejected at once, although the queue is full.
      await assert.rejects(q.enqueueWait('x'.repeat(9), { timeout: 500 }), { code: 'ERR_SHM_TOO_LARGE' });
      // Behind a pending waiter (the queue stays full): SPEC §2.3 asks for an immediate error too.
      const pending = q.enqueueWait('ok', { timeout: 5000 });
      const t0 = Date.now();
      const err = await q.enqueueWait('x'.repeat(9), { timeout: 500 }).then(() => null, (e) => e);
      const took = Date.now() - t0;
      const other = queue(name, undefined, undefined, true, false);
      assert.strictEqual(other.dequeue(), 'full');
      await pending;
      assert.strictEqual(other.dequeue(), 'ok');
      assert.ok(err, 'the oversized enqueueWait() resolved');
      assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE', `the oversized enqueueWait() queued behind another waiter got ${err.code} after ${took} ms`);
      assert.ok(err instanceof RangeError);
    });
  });

  // --- 6. worker threads ---------------------------------------------------------------------------

  describe('worker threads', () => {
    it('a producer in one worker and a consumer in another: 3000 messages arrive in order', async () => {
      const name = res.name();
      const COUNT = 3000;
      queue(name, 8, 64);
      const [producer, consumer] = await Promise.all([workerQueuePeer(), workerQueuePeer()]);
      assert.notStrictEqual(producer.endpoint.threadId, consumer.endpoint.threadId);
      const [p, c] = await Promise.all([producer.call('open', { name }), consumer.call('open', { name })]);
      const t0 = Date.now();
      const received = consumer.call('consume', { id: c.id, limit: COUNT });
      const sent = await producer.call('produce', { id: p.id, producer: 'p3', count: COUNT, mode: 'wait' });
      const r = await received;
      console.log(`      queue: ${COUNT} messages from one worker thread to another through 8 slots in ${Date.now() - t0} ms`);
      assert.strictEqual(sent.sent, COUNT);
      assert.deepStrictEqual(r.corrupt, []);
      assert.deepStrictEqual(r.received.p3, upTo(COUNT));
      assert.notStrictEqual(r.threadId, 0);
      assert.strictEqual(header(name).count, 0);
    });

    it('terminating workers with a pending dequeueWait() does not crash; they take nothing, and the wait here goes on', async () => {
      const name = res.name();
      const q = queue(name, 4, 16);
      const mine = track(q.dequeueWait({ timeout: 10000 }));
      const workers = await Promise.all([workerQueuePeer(), workerQueuePeer()]);
      for (const [i, w] of workers.entries()) {
        const { id } = await w.call('open', { name });
        assert.deepStrictEqual(await w.call('pendingDequeue', { id, tag: `worker ${i}` }), { waiting: true });
      }
      await Promise.all(workers.map((w) => w.kill())); // Worker.terminate()
      for (const w of workers) assert.strictEqual(w.exitInfo.code, 1, 'a terminated worker exits with code 1');
      assert.ok(!mine.settled);
      const producer = queue(name, undefined, undefined, true, false);
      producer.enqueue('one');
      producer.enqueue('two');
      assert.strictEqual(await mine.promise, 'one');
      assert.deepStrictEqual([q.dequeue(), q.dequeue()], ['two', undefined]);
    });

    it('terminating a worker with a pending dequeueWait() on a non-persistent queue removes the segment', async function () {
      notOnWindows(this, ON_WINDOWS.deletePending);
      const name = res.name();
      queue(name, 4, 16);
      const worker = await workerQueuePeer();
      const { id } = await worker.call('open', { name, persistent: false });
      assert.deepStrictEqual(await worker.call('pendingDequeue', { id, tag: 'w' }), { waiting: true });
      await worker.kill();
      assert.ok(!segmentExists(name), 'the terminated worker left its non-persistent queue segment behind');
    });
  });
});
