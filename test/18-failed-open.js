// Issue 11 item 5: a constructor that fails removes only what it created itself, never an existing
// segment. Before, a failure met after the segment was opened (other queue dimensions, another
// layout, a segment too small, the presence budget, the lock a writer's reset waits for) closed it
// the way a non-persistent object closes: by removing its name, under every peer using it. Each
// constructor is tried on an existing segment, with persistent false and true, for every failure
// that can be provoked after the open: the call throws, and the segment is still there, byte for
// byte.
'use strict';
const assert = require('assert');
const path = require('path');
const { execFileSync } = require('child_process');
const {
  api, useSegments, readSegment, segmentExists, segmentNames, pokeSegment, writeSegmentFile, u32, thrown, linuxOnly,
} = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue, SharedMemory } = api;
const C = require('../lib/native').constants;

const CHILD = path.join(__dirname, 'fixtures', 'failed-open-child.js');

// Existing segments to fail on, each made as a peer would leave it (closed, persistent).
const MAKE = {
  queue8: (name) => {
    const q = new Queue(name, 8, 32, true);
    q.enqueue('kept');
    q.close();
  },
  queueV1: (name) => {
    const q = new Queue(name, 8, 32, true, true, { layout: 'v1' });
    q.enqueue('kept');
    q.close();
  },
  streamV2: (name) => {
    const w = new Writer(name, 256, true);
    w.writeString('kept');
    w.close();
  },
  streamV1: (name) => {
    const w = new Writer(name, 256, true, { layout: 'v1' });
    w.writeString('kept by v1');
    w.close();
  },
  // readIndex 1: as a v1 stream, a size field of 2^24 (an empty queue at index 0 reads as an empty
  // v1 stream, which a v1 reader is not refused: see test/19).
  queueMoved: (name) => {
    const q = new Queue(name, 8, 32, true);
    q.enqueue('gone');
    q.enqueue('kept');
    q.dequeue();
    q.close();
  },
  tiny: (name) => writeSegmentFile(name, Buffer.from('0123456789')),
  badCount: (name) => {
    MAKE.queue8(name);
    pokeSegment(name, 12, u32(9)); // count above capacity
  },
};

// [constructor, existing segment, call(name, persistent), code]. Every call fails after the
// segment is open.
const CASES = [
  ['queue writer, other capacity (the issue\'s example)', 'queue8', (n, p) => new Queue(n, 16, 32, p), 'ERR_SHM_LAYOUT'],
  ['queue writer, other maxMessageSize', 'queue8', (n, p) => new Queue(n, 8, 64, p), 'ERR_SHM_LAYOUT'],
  ['queue opener (isWriter false), other capacity', 'queue8', (n, p) => new Queue(n, 4, undefined, p, false), 'ERR_SHM_LAYOUT'],
  ['queue opener, other maxMessageSize', 'queue8', (n, p) => new Queue(n, undefined, 16, p, false), 'ERR_SHM_LAYOUT'],
  ['queue writer of layout v1 on a v2 queue', 'queue8', (n, p) => new Queue(n, 8, 32, p, true, { layout: 'v1' }), 'ERR_SHM_LAYOUT'],
  ['queue opener of layout v1 on a v2 queue', 'queue8', (n, p) => new Queue(n, undefined, undefined, p, false, { layout: 'v1' }), 'ERR_SHM_LAYOUT'],
  ['queue writer of layout v2 on a v1 queue', 'queueV1', (n, p) => new Queue(n, 8, 32, p), 'ERR_SHM_LAYOUT'],
  ['queue opener of layout v2 on a v1 queue', 'queueV1', (n, p) => new Queue(n, undefined, undefined, p, false), 'ERR_SHM_LAYOUT'],
  ['queue writer on a stream segment', 'streamV2', (n, p) => new Queue(n, 8, 32, p), 'ERR_SHM_LAYOUT'],
  ['queue opener on a stream segment', 'streamV2', (n, p) => new Queue(n, undefined, undefined, p, false), 'ERR_SHM_LAYOUT'],
  ['queue opener on a segment too small for the header', 'tiny', (n, p) => new Queue(n, undefined, undefined, p, false), 'ERR_SHM_LAYOUT'],
  ['queue opener on an inconsistent header', 'badCount', (n, p) => new Queue(n, undefined, undefined, p, false), 'ERR_SHM_LAYOUT'],
  ['queue writer on an inconsistent header', 'badCount', (n, p) => new Queue(n, 8, 32, p), 'ERR_SHM_LAYOUT'],
  ['v2 reader on a segment too small for the header', 'tiny', (n, p) => new Reader(n, undefined, p), 'ERR_SHM_LAYOUT'],
  ['v2 reader on a queue', 'queue8', (n, p) => new Reader(n, undefined, p), 'ERR_SHM_LAYOUT'],
  ['read-only v2 reader on a queue', 'queue8', (n, p) => new Reader(n, undefined, p, { readOnly: true }), 'ERR_SHM_LAYOUT'],
  ['v2 reader on a v1 stream', 'streamV1', (n, p) => new Reader(n, undefined, p), 'ERR_SHM_LAYOUT'],
  ['v1 reader on a queue', 'queueMoved', (n, p) => new Reader(n, undefined, p, { layout: 'v1' }), 'ERR_SHM_LAYOUT'],
  ['reader asking for more than the segment holds', 'streamV2', (n, p) => new Reader(n, 4096, p), 'ERR_SHM_SIZE'],
  ['v2 writer on a queue', 'queue8', (n, p) => new Writer(n, 256, p), 'ERR_SHM_LAYOUT'],
  ['v2 writer (reset: false) on a queue', 'queue8', (n, p) => new Writer(n, 256, p, { reset: false }), 'ERR_SHM_LAYOUT'],
  ['v2 writer on a v1 stream', 'streamV1', (n, p) => new Writer(n, 256, p), 'ERR_SHM_LAYOUT'],
  ['SharedMemory.open asking for more than the segment holds', 'streamV2', (n, p) => SharedMemory.open(n, { size: 4096, persistent: p }), 'ERR_SHM_SIZE'],
];

describe('18 a constructor that fails removes only what it created (issue 11 item 5)', function () {
  this.timeout(20000);
  const res = useSegments();

  for (const [what, make, call, code] of CASES) {
    for (const persistent of [false, true]) {
      it(`${what}, persistent ${persistent}: ${code}, and the existing segment stays, byte for byte`, () => {
        const name = res.name(make);
        MAKE[make](name);
        const before = readSegment(name);
        const err = thrown(() => call(name, persistent), what);
        assert.strictEqual(err.code, code, `${err.code}: ${err.message}`);
        assert.strictEqual(err.segment, name);
        assert.ok(segmentExists(name), `the failed constructor removed the existing segment (${err.message})`);
        assert.ok(readSegment(name).equals(before), 'the failed constructor changed its bytes');
      });
    }
  }

  for (const persistent of [false, true]) {
    it(`a writer whose reset times out on the lock of a live holder, persistent ${persistent}: ERR_SHM_LOCK_TIMEOUT, and the segment stays, byte for byte`, async () => {
      const name = res.name('locked');
      MAKE.streamV2(name);
      const peer = await res.forkPeer(); // alive for the whole call: its pid holds the lock
      pokeSegment(name, C.V2_DATA - 4, u32(peer.pid));
      const before = readSegment(name);
      const err = thrown(() => new Writer(name, 256, persistent, { lockTimeout: 100 }));
      assert.strictEqual(err.code, 'ERR_SHM_LOCK_TIMEOUT', err.message);
      assert.ok(segmentExists(name), 'removed');
      assert.ok(readSegment(name).equals(before), 'changed');
    });
  }

  it('the presence budget spent (EMFILE), persistent false: writers, v2 readers and both ends of a queue leave existing segments as they were', function () {
    linuxOnly(this, 'the presence descriptors and their budget are Linux open-file-description locks');
    const stream = res.name('budget-stream');
    const queue = res.name('budget-queue');
    MAKE.streamV2(stream);
    MAKE.queue8(queue);
    const before = { stream: readSegment(stream), queue: readSegment(queue) };
    const args = [`writer:${stream}`, `reader:${stream}`, `queue:${queue}`, `queue-open:${queue}`];
    const line = execFileSync('/bin/sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, CHILD, ...args],
      { encoding: 'utf8' });
    const out = JSON.parse(line);
    assert.strictEqual(out.fillError, 'EMFILE', `the child filled ${out.filled} descriptors without EMFILE`);
    for (const arg of args) {
      assert.strictEqual(out.results[arg].code, 'EMFILE', `${arg}: ${JSON.stringify(out.results[arg])}`);
    }
    assert.ok(segmentExists(stream) && segmentExists(queue), 'a refused open removed an existing segment');
    assert.ok(readSegment(stream).equals(before.stream));
    assert.ok(readSegment(queue).equals(before.queue));
    // The writer the budget refused had created its own (non-persistent) segment: that one is gone.
    assert.deepStrictEqual(segmentNames().filter((n) => n.startsWith(out.prefix)), []);
  });
});
