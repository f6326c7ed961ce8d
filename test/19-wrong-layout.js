// Issue 11 item 7: a stream or queue opened over the bytes of another kind or layout is refused at
// once with ERR_SHM_LAYOUT naming what the segment looks like (goshm/detect.go), instead of a v2
// reader returning "" from a v1 segment, or a stream reader on a queue waiting a second for a lock
// "held by process 32" (the queue's maxMessageSize). Detection is conservative: a legitimate segment
// of the layout asked for is never refused, whatever its payload holds.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { api, useSegments, readSegment, writeSegmentFile, thrown } = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue } = api;
const VECTORS = path.join(__dirname, 'fixtures', 'vectors');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(VECTORS, 'manifest.json'), 'utf8'));
const LAYOUT_OF_LIBRARY = { 'libsharedmemory-2.0.0': 'v2', 'libsharedmemory-1.10.0': 'v1', 'cpp_libsharedmemory-0.0.9': 'v0' };

function refused(fn, what) {
  const t0 = Date.now();
  const err = thrown(fn, what);
  return { err, ms: Date.now() - t0 };
}

describe('19 the wrong kind or layout is named at open (issue 11 item 7)', function () {
  this.timeout(20000);
  const res = useSegments();

  it('a v2 reader on a v1 segment: ERR_SHM_LAYOUT "looks like a stream of layout v1", not ""', () => {
    const name = res.name('v1');
    res.writer(name, 256, true, { layout: 'v1' }).writeString('hello');
    const before = readSegment(name);
    const { err } = refused(() => new Reader(name));
    assert.strictEqual(err.code, 'ERR_SHM_LAYOUT', err.message);
    assert.strictEqual(err.segment, name);
    assert.match(err.message, /looks like a stream of layout v1 \(or v0\) holding a string of 5 bytes, not a stream of layout v2/);
    assert.ok(readSegment(name).equals(before));
    // The right layout reads it.
    assert.strictEqual(res.reader(name, undefined, true, { layout: 'v1' }).readString(), 'hello');
  });

  for (const [layout, readOnly] of [['v2', false], ['v2', true], ['v1', false], ['v0', false]]) {
    it(`a stream reader (layout ${layout}${readOnly ? ', read-only' : ''}) on a queue fails at once with ERR_SHM_LAYOUT naming the queue, not a lock timeout blaming "process 32"`, () => {
      const name = res.name('queue');
      const q = new Queue(name, 8, 32, true);
      try {
        q.enqueue('a');
        q.enqueue('b');
        q.dequeue(); // readIndex 1: no longer readable as an empty v1/v0 stream either
        const before = readSegment(name);
        const { err, ms } = refused(() => new Reader(name, undefined, true, { layout, readOnly }));
        assert.strictEqual(err.code, 'ERR_SHM_LAYOUT', err.message);
        assert.match(err.message, new RegExp(`looks like a queue \\(layout v2, capacity 8, maxMessageSize 32\\), not a stream of layout ${layout}`));
        assert.doesNotMatch(err.message, /process 32/);
        assert.ok(ms < 500, `took ${ms} ms`);
        assert.ok(readSegment(name).equals(before));
        assert.strictEqual(q.dequeue(), 'b', 'the queue works on');
      } finally {
        q.close();
      }
    });
  }

  it('a stream writer on a queue is refused before it touches (or grows) the segment', () => {
    const name = res.name('queue-w');
    const q = new Queue(name, 8, 32, true);
    try {
      q.enqueue('kept');
      const before = readSegment(name);
      const { err } = refused(() => new Writer(name, 65535));
      assert.strictEqual(err.code, 'ERR_SHM_LAYOUT');
      assert.match(err.message, /looks like a queue \(layout v2, capacity 8, maxMessageSize 32\), not a stream of layout v2/);
      assert.ok(readSegment(name).equals(before), 'neither grown nor reset');
      assert.strictEqual(q.dequeue(), 'kept');
    } finally {
      q.close();
    }
  });

  it('a queue on a stream segment, and a queue of the other layout: ERR_SHM_LAYOUT naming what is there', () => {
    const stream = res.name('stream');
    res.writer(stream, 256).writeString('value');
    let err = thrown(() => new Queue(stream, undefined, undefined, true, false));
    assert.match(err.message, /looks like a stream of layout v2 holding a string of 5 bytes, not a queue of layout v2/);
    err = thrown(() => new Queue(stream, 8, 32, true));
    assert.match(err.message, /looks like a stream of layout v2 holding a string of 5 bytes, not a queue of layout v2/);

    const v2 = res.name('q2');
    new Queue(v2, 4, 16, true).close();
    err = thrown(() => new Queue(v2, undefined, undefined, true, false, { layout: 'v1' }));
    assert.strictEqual(err.code, 'ERR_SHM_LAYOUT');
    assert.match(err.message, /looks like a queue \(layout v2, capacity 4, maxMessageSize 16\), not a queue of layout v1/);

    const v1 = res.name('q1');
    new Queue(v1, 4, 16, true, true, { layout: 'v1' }).close();
    err = thrown(() => new Queue(v1, undefined, undefined, true, false));
    assert.match(err.message, /looks like a queue \(layout v1, capacity 4, maxMessageSize 16\), not a queue of layout v2/);
  });

  describe('never refused: legitimate segments of the layout asked for', () => {
    it('every image of the C++ library opens with its own layout', () => {
      for (const v of MANIFEST.vectors) {
        const library = v.file.split('/')[0];
        const layout = LAYOUT_OF_LIBRARY[library];
        const name = res.name('vec');
        writeSegmentFile(name, fs.readFileSync(path.join(VECTORS, v.file)));
        if (v.capacity) {
          new Queue(name, undefined, undefined, true, false, { layout }).close();
        } else {
          new Reader(name, undefined, true, { layout }).close();
        }
      }
    });

    it('all-zero segments of any size open as every stream layout, readers and writers', () => {
      for (const size of [5, 20, 28, 64, 4096]) {
        for (const layout of ['v2', 'v1', 'v0']) {
          if (layout === 'v2' && size < 20) continue;
          const name = res.name('zero');
          writeSegmentFile(name, Buffer.alloc(size));
          new Reader(name, undefined, true, { layout }).close();
          new Writer(name, size, true, { layout }).close();
        }
      }
    });

    it('a v2 stream whose payload is a queue\'s bytes; a v1 and a v0 stream holding a queue\'s header as a string', () => {
      const image = fs.readFileSync(path.join(VECTORS, 'libsharedmemory-2.0.0', 'queue-three.bin'));
      const name = res.name('payload');
      const w = res.writer(name, 20 + image.length);
      w.writeBuffer(image);
      assert.ok(res.reader(name).readBuffer().equals(image));
      for (const layout of ['v1', 'v0']) {
        // A v1 (v0) stream of 1320 bytes holding the 1-byte string "\0", over the stale bytes of a
        // longer one: read as a v1 queue header, writeIndex 258, readIndex 0, capacity 260, count
        // 258, maxMessageSize 1, and 20 + 260 * (4 + 1) = 1320 bytes: a queue's exact shape. Its own
        // header is a stream's, so it is not refused.
        const n = res.name(`payload-${layout}`);
        const lw = res.writer(n, 1320, true, { layout });
        lw.writeString('\0\0\0\x04\x01\0\0\x02\x01\0\0\x01\0\0\0');
        lw.writeString('\0');
        const b = readSegment(n);
        assert.deepStrictEqual([0, 4, 8, 12, 16].map((o) => b.readUInt32LE(o)), [258, 0, 260, 258, 1], 'the queue-shaped header');
        assert.strictEqual(res.reader(n, undefined, true, { layout }).readString(), '\0');
        res.writer(n, 1320, true, { layout }).writeString('next');
        assert.strictEqual(res.reader(n, undefined, true, { layout }).readString(), 'next');
      }
    });

    it('a v2 stream with a watcher hint byte set opens', async () => {
      const name = res.name('hinted');
      const w = res.writer(name, 256);
      w.writeString('x');
      const r = res.reader(name, undefined, true, { pollInterval: 10000 });
      r.read();
      const wait = r.waitForChange({ timeout: 5000 });
      for (let i = 0; i < 200 && readSegment(name)[1] === 0; i++) await new Promise((ok) => setTimeout(ok, 5));
      res.reader(name).close();
      w.writeString('y');
      assert.strictEqual(await wait, 'y');
    });
  });
});
