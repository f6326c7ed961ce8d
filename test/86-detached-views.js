// Views whose ArrayBuffer is detached (transferred with structuredClone or postMessage, or the view
// of a SharedMemory that was closed): an enqueueWait() holding one while it waits for its turn
// rejects with ERR_INVALID_STATE and enqueues nothing, and the waits behind it are served; every
// method given a view that is detached already refuses it the same way and changes nothing.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { MessageChannel } = require('worker_threads');
const { api, useSegments, readSegment, Peer } = require('./helpers');

const { NodeSharedMemoryQueue: Queue, SharedMemory } = api;
const QUEUE_PEER = path.join(__dirname, 'fixtures', 'queue-peer.js');

/** Lets pending callbacks (watcher notifications, promise reactions) run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled, for "still pending" assertions. */
function track(promise) {
  const t = { settled: false, promise };
  promise.then(() => { t.settled = true; }, () => { t.settled = true; });
  return t;
}

/** Whether the view's ArrayBuffer is detached: only a detached one refuses even an empty view. */
function isDetached(view) {
  try {
    new Uint8Array(view.buffer, 0, 0); // eslint-disable-line no-new
    return false;
  } catch {
    return true;
  }
}

// The ways a caller's view loses its buffer, each returning a detach() to call later.
const DETACHERS = [
  ['a Uint8Array whose ArrayBuffer is transferred with structuredClone', () => {
    const view = new Uint8Array(Buffer.from('detached'));
    return { view, detach: () => structuredClone(view.buffer, { transfer: [view.buffer] }) };
  }],
  ['a Buffer whose ArrayBuffer is transferred with postMessage', () => {
    const ab = new ArrayBuffer(8);
    const view = Buffer.from(ab);
    view.write('detached');
    return {
      view,
      detach: () => {
        const { port1, port2 } = new MessageChannel();
        port1.postMessage(ab, [ab]);
        port1.close();
        port2.close();
      },
    };
  }],
  ['a DataView whose ArrayBuffer is transferred with structuredClone', () => {
    const view = new DataView(new ArrayBuffer(8));
    return { view, detach: () => structuredClone(view.buffer, { transfer: [view.buffer] }) };
  }],
];

describe('86 detached views', () => {
  const res = useSegments();

  async function forkQueuePeer() {
    const peer = new Peer('process', fork(QUEUE_PEER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    res.peers.push(peer);
    return peer.ready;
  }

  describe('enqueueWait(view) detached while it waits for its turn', () => {
    for (const [label, make] of DETACHERS) {
      it(`${label}: rejects with ERR_INVALID_STATE, enqueues nothing, and the wait behind it is served`, async () => {
        const name = res.name('detach-wait');
        const q = new Queue(name, 1, 16, false, true, { encoding: 'buffer' });
        res.track(q);
        q.enqueue('first');
        const { view, detach } = make();
        const waiting = track(q.enqueueWait(view, { timeout: 10000 }));
        const behind = q.enqueueWait('behind', { timeout: 10000 });
        await turn();
        assert.ok(!waiting.settled, 'enqueueWait() settled on a full queue');
        detach();
        assert.ok(isDetached(view), 'the view was not detached');
        // Another process frees the slot: the detached wait is at the head of the line.
        const peer = await forkQueuePeer();
        const { id } = await peer.call('open', { name, options: { encoding: 'buffer' } });
        assert.strictEqual((await peer.call('dequeue', { id }))[0].toString(), 'first');
        const err = await waiting.promise.then(() => null, (e) => e);
        assert.ok(err, 'enqueueWait() of a detached view resolved (it enqueued an empty message)');
        assert.ok(err instanceof TypeError, `${err.name} instead of TypeError`);
        assert.strictEqual(err.code, 'ERR_INVALID_STATE', err.message);
        assert.strictEqual(err.segment, name);
        assert.match(err.message, /\bvalue\b/);
        assert.match(err.message, /detached/);
        await behind;
        const rest = await peer.call('dequeue', { id, count: 2 });
        assert.deepStrictEqual(rest.map((m) => m && m.toString()), ['behind', undefined], 'an empty message was enqueued');
      });
    }

    it('a view of a SharedMemory closed while the wait is queued: rejects with ERR_INVALID_STATE; the queue keeps its bytes', async () => {
      const name = res.name('detach-shm');
      const shm = res.track(SharedMemory.create(res.name('detach-shm-raw'), 64, { persistent: false }));
      const view = new Uint8Array(shm.buffer, 0, 8);
      view.set(Buffer.from('rawbytes'));
      const q = res.track(new Queue(name, 1, 16, false));
      q.enqueue('first');
      const waiting = track(q.enqueueWait(view));
      await turn();
      shm.close();
      assert.strictEqual(view.length, 0, 'close() did not detach the view');
      const before = readSegment(name);
      const other = res.track(new Queue(name, undefined, undefined, true, false));
      assert.strictEqual(other.dequeue(), 'first');
      await assert.rejects(waiting.promise, { name: 'TypeError', code: 'ERR_INVALID_STATE', segment: name });
      // Only the dequeue changed the header (readIndex and count); no message was added.
      assert.strictEqual(q.size, 0, 'an empty message was enqueued');
      assert.strictEqual(readSegment(name).readUInt32LE(0), before.readUInt32LE(0), 'writeIndex moved');
    });
  });

  describe('a view detached before the call is refused at once (ERR_INVALID_STATE) and changes nothing', () => {
    const detachedView = () => {
      const view = new Float32Array(4).fill(1.5);
      structuredClone(view.buffer, { transfer: [view.buffer] });
      return view;
    };
    const calls = [
      ['writeFloatArray', 'value', (c, v) => c.writer.writeFloatArray(v)],
      ['writeBuffer', 'value', (c, v) => c.writer.writeBuffer(v)],
      ['readInto', 'target', (c, v) => c.reader.readInto(v)],
      ['SharedMemory write', 'data', (c, v) => c.raw.write(0, v)],
      ['enqueue', 'value', (c, v) => c.queue.enqueue(v)],
      ['enqueueWait', 'value', (c, v) => c.queue.enqueueWait(v, { timeout: 100 })],
    ];
    for (const [method, argument, call] of calls) {
      it(`${method}(a Float32Array over a transferred ArrayBuffer): TypeError ERR_INVALID_STATE naming ${argument}`, async () => {
        const name = res.name('now');
        const c = {
          writer: res.writer(name, 64, false),
          raw: res.track(SharedMemory.create(res.name('now-raw'), 64, { persistent: false })),
          queue: res.track(new Queue(res.name('now-queue'), 2, 16, false)),
        };
        c.writer.writeString('untouched');
        c.reader = res.reader(name);
        const before = [readSegment(name), readSegment(c.raw.name), readSegment(c.queue.name)];
        let err = null;
        try {
          await call(c, detachedView());
        } catch (e) {
          err = e;
        }
        assert.ok(err, `${method}() accepted a detached view`);
        assert.ok(err instanceof TypeError, `${err.name} instead of TypeError: ${err.message}`);
        assert.strictEqual(err.code, 'ERR_INVALID_STATE', err.message);
        assert.match(err.message, new RegExp(`\\b${argument}\\b.*detached`));
        assert.deepStrictEqual([readSegment(name), readSegment(c.raw.name), readSegment(c.queue.name)], before, 'a segment changed');
        assert.strictEqual(c.reader.readString(), 'untouched');
      });
    }
  });
});
