// The original API of node-libsharedmemory 0.0.9 (SPEC §2.1): the README snippet with its
// defaults, the flags byte, the constants, persistence, and reads that return copies.
'use strict';
const assert = require('assert');
const {
  api, useSegments, segmentExists, segmentSize, segmentMode, readSegment, notOnWindows, ON_WINDOWS,
} = require('./helpers');

const {
  kMemoryChanged, kMemoryTypeString, kMemoryTypeFloat, kMemoryTypeDouble,
} = api;

const LAYOUTS = ['v2', 'v1', 'v0'];

function assertFloat32Equal(actual, expected) {
  assert.ok(actual instanceof Float32Array, `expected a Float32Array, got ${actual && actual.constructor.name}`);
  assert.deepStrictEqual(Array.from(actual), expected.map(Math.fround));
}

function assertFloat64Equal(actual, expected) {
  assert.ok(actual instanceof Float64Array, `expected a Float64Array, got ${actual && actual.constructor.name}`);
  assert.deepStrictEqual(Array.from(actual), expected);
}

describe('10 original API (SPEC §2.1)', () => {
  const res = useSegments();

  it('the four constants have their 0.0.9 values', () => {
    assert.strictEqual(kMemoryChanged, 1);
    assert.strictEqual(kMemoryTypeString, 2);
    assert.strictEqual(kMemoryTypeFloat, 4);
    assert.strictEqual(kMemoryTypeDouble, 8);
  });

  it('README snippet: writer and reader with no arguments use "__node-sharedmemory$", 65535 bytes, persistent', function () {
    const DEFAULT = '__node-sharedmemory$';
    if (segmentExists(DEFAULT)) {
      // Someone else's segment (another program, or the example running right now): leave it be.
      console.log(`      skipped: segment ${DEFAULT} already exists and is not ours to overwrite or remove`);
      this.skip();
    }
    res.adopt(DEFAULT); // removed in afterEach: default segments are persistent
    const writer = res.writer();
    const reader = res.reader();
    assert.strictEqual(writer.name, DEFAULT);
    assert.strictEqual(reader.name, DEFAULT);
    assert.strictEqual(writer.size, 65535);
    assert.strictEqual(reader.size, 65535);
    assert.strictEqual(writer.persistent, true);
    assert.strictEqual(reader.persistent, true);
    assert.strictEqual(segmentSize(DEFAULT), 65535);

    writer.writeString('Hello from the README — ünïcödé 😃');
    assert.strictEqual(reader.readString(), 'Hello from the README — ünïcödé 😃');

    const f32 = [3.234, 4.2222, 5.6667, -0.1, 1e-30];
    writer.writeFloatArray(new Float32Array(f32));
    assertFloat32Equal(reader.readFloatArray(), f32);

    const f64 = [3434367673.2334367, 34343434467.22234, 534343676767.6663, -Number.MIN_VALUE, Math.PI];
    writer.writeDoubleArray(new Float64Array(f64));
    assertFloat64Equal(reader.readDoubleArray(), f64);

    writer.close();
    reader.close();
    assert.ok(segmentExists(DEFAULT), 'a persistent default segment outlives its streams');
  });

  for (const layout of LAYOUTS) {
    it(`flags sequence in layout ${layout}: 0b011, 0b010, 0b101, then 0b1000 with the toggle`, () => {
      const name = res.name();
      const writer = res.writer(name, 1024, true, { layout });
      const reader = res.reader(name, undefined, true, { layout });
      assert.strictEqual(reader.readFlags(), 0, 'a new segment has no flags');
      writer.writeString('one');
      assert.strictEqual(reader.readFlags(), 0b011);
      assert.strictEqual(writer.readFlags(), 0b011, 'the writer sees the same flags byte');
      writer.writeString('two');
      assert.strictEqual(reader.readFlags(), 0b010);
      writer.writeFloatArray(new Float32Array([1]));
      assert.strictEqual(reader.readFlags(), 0b101);
      writer.writeDoubleArray(new Float64Array([1]));
      // The 4th write toggles kMemoryChanged back off: 0b1000 | 0.
      assert.strictEqual(reader.readFlags(), kMemoryTypeDouble | 0);
      writer.writeDoubleArray(new Float64Array([2]));
      assert.strictEqual(reader.readFlags(), kMemoryTypeDouble | kMemoryChanged);
      assert.strictEqual(readSegment(name)[0], kMemoryTypeDouble | kMemoryChanged, 'the flags byte is byte 0 of the segment');
    });
  }

  it('persistent = false: closing the writer removes the segment', () => {
    const name = res.name();
    const writer = res.writer(name, 4096, false);
    assert.strictEqual(writer.persistent, false);
    assert.ok(segmentExists(name));
    writer.close();
    assert.ok(!segmentExists(name), 'a non-persistent writer removes its segment on close');
  });

  it('persistent = false: closing a reader removes the segment too (as libsharedmemory does)', function () {
    notOnWindows(this, ON_WINDOWS.deletePending);
    const name = res.name();
    const writer = res.writer(name, 4096, true);
    writer.writeString('still mapped');
    const reader = res.reader(name, undefined, false);
    reader.close();
    assert.ok(!segmentExists(name), 'a non-persistent reader removes the segment on close');
    // The writer's mapping survives the removal of the name.
    writer.writeString('after unlink');
    assert.strictEqual(writer.readFlags(), kMemoryTypeString);
  });

  it('persistent = false on both ends: the second close finds the segment gone and does not throw', function () {
    notOnWindows(this, ON_WINDOWS.namedMapping);
    const name = res.name();
    const writer = res.writer(name, 4096, false);
    const reader = res.reader(name, undefined, false);
    writer.close();
    assert.ok(!segmentExists(name));
    reader.close();
    assert.strictEqual(reader.closed, true);
  });

  it('persistent = true (and the default) keeps the segment after close, with its data', () => {
    const name = res.name();
    const writer = res.writer(name, 4096); // persistent defaults to true
    assert.strictEqual(writer.persistent, true);
    writer.writeString('kept');
    writer.close();
    assert.ok(segmentExists(name));
    const reader = res.reader(name, undefined, true);
    assert.strictEqual(reader.readString(), 'kept');
    reader.close();
    assert.ok(segmentExists(name));
  });

  it('readFloatArray returns a copy the caller owns: mutating it changes nothing, two reads are distinct', () => {
    const name = res.name();
    const writer = res.writer(name, 4096);
    const reader = res.reader(name);
    writer.writeFloatArray(new Float32Array([1, 2, 3]));
    const before = readSegment(name);
    const a = reader.readFloatArray();
    a[0] = 42;
    a.fill(-1);
    assert.deepStrictEqual(readSegment(name), before, 'the segment bytes did not change');
    const b = reader.readFloatArray();
    assert.notStrictEqual(a, b);
    assert.notStrictEqual(a.buffer, b.buffer);
    assert.deepStrictEqual(Array.from(b), [1, 2, 3]);
    // And the writer's source array is not aliased either.
    const src = new Float32Array([7, 8]);
    writer.writeFloatArray(src);
    src[0] = 0;
    assert.deepStrictEqual(Array.from(reader.readFloatArray()), [7, 8]);
  });

  it('readDoubleArray returns a copy the caller owns, for small and large (> 64 KiB) payloads', () => {
    const name = res.name();
    const n = 100000; // 800 kB: the addon's direct-read path rather than its scratch buffer
    const writer = res.writer(name, 20 + n * 8 + 64);
    const reader = res.reader(name);
    for (const len of [3, n]) {
      const src = new Float64Array(len).map((_, i) => i * 1.5 - 7);
      writer.writeDoubleArray(src);
      const a = reader.readDoubleArray();
      const b = reader.readDoubleArray();
      assert.strictEqual(a.length, len);
      assert.notStrictEqual(a.buffer, b.buffer);
      a.fill(0);
      assert.deepStrictEqual(b, src);
      assert.deepStrictEqual(reader.readDoubleArray(), src);
    }
  });

  it('writes a typed array view at its own offset (subarray of a larger buffer)', () => {
    const name = res.name();
    const writer = res.writer(name, 4096);
    const reader = res.reader(name);
    const big = new Float64Array([10, 11, 12, 13, 14, 15]);
    writer.writeDoubleArray(big.subarray(2, 5));
    assert.deepStrictEqual(Array.from(reader.readDoubleArray()), [12, 13, 14]);
    const f = new Float32Array([1, 2, 3, 4]);
    writer.writeFloatArray(new Float32Array(f.buffer, 4, 2));
    assert.deepStrictEqual(Array.from(reader.readFloatArray()), [2, 3]);
  });

  it('round-trips empty payloads of every type', () => {
    const name = res.name();
    const writer = res.writer(name, 64);
    const reader = res.reader(name);
    writer.writeString('x');
    writer.writeString('');
    assert.strictEqual(reader.readString(), '');
    writer.writeFloatArray(new Float32Array(0));
    assert.strictEqual(reader.readFloatArray().length, 0);
    writer.writeDoubleArray(new Float64Array(0));
    assert.strictEqual(reader.readDoubleArray().length, 0);
  });

  it('strings keep embedded NUL characters; lone surrogates become U+FFFD (UTF-8 has no other choice)', () => {
    const name = res.name();
    const writer = res.writer(name, 256);
    const reader = res.reader(name);
    writer.writeString('a\0b\0');
    assert.strictEqual(reader.readString(), 'a\0b\0');
    assert.strictEqual(readSegment(name).readUInt32LE(12), 4);
    writer.writeString('x\uD800y');
    assert.strictEqual(reader.readString(), 'x\uFFFDy');
    assert.strictEqual(readSegment(name).readUInt32LE(12), 5);
  });

  it('round-trips UTF-8 strings around the 64 KiB scratch-buffer boundary and far above it', () => {
    const name = res.name();
    const writer = res.writer(name, 20 + 300000);
    const reader = res.reader(name);
    const emoji = '😃'; // 4 bytes of UTF-8, 2 UTF-16 units
    for (let ascii = 65525; ascii <= 65540; ascii++) {
      const s = 'a'.repeat(ascii) + emoji + 'z';
      writer.writeString(s);
      const back = reader.readString();
      assert.strictEqual(back.length, s.length, `prefix of ${ascii} bytes`);
      assert.ok(back === s, `string with a ${ascii}-byte prefix came back different`);
      assert.strictEqual(readSegment(name).readUInt32LE(12), Buffer.byteLength(s), 'size field = UTF-8 bytes');
    }
    const big = 'ü€😃'.repeat(30000); // 270000 bytes of UTF-8
    writer.writeString(big);
    assert.ok(reader.readString() === big, 'a 270 kB string came back different');
  });

  // The header reset a new writer makes by default is test/17-writer-reset.js's; reset: false is the
  // plain attach.
  it('a writer on an existing segment attaches to it (with reset: false keeps its bytes; grows it), so attached readers stay live', () => {
    const name = res.name();
    const first = res.writer(name, 4096);
    first.writeString('from the first writer');
    const earlyReader = res.reader(name);
    const second = res.writer(name, 8192, true, { reset: false });
    assert.strictEqual(second.size, 8192);
    assert.strictEqual(segmentSize(name), 8192, 'the segment grew to the larger size');
    const lateReader = res.reader(name);
    assert.strictEqual(lateReader.size, 8192);
    assert.strictEqual(lateReader.readString(), 'from the first writer', 'the existing payload was kept');
    second.writeString('from the second writer');
    assert.strictEqual(earlyReader.readString(), 'from the second writer', 'a reader attached before sees new writes');
    // A smaller writer does not shrink it.
    res.writer(name, 1024);
    assert.strictEqual(segmentSize(name), 8192);
  });

  it('creates segments with mode 0600 by default, options.mode otherwise', function () {
    notOnWindows(this, ON_WINDOWS.modes);
    const a = res.name();
    res.writer(a, 4096);
    assert.strictEqual(segmentMode(a), 0o600);
    const b = res.name();
    res.writer(b, 4096, true, { mode: 0o640 });
    assert.strictEqual(segmentMode(b), 0o640);
  });

  it('Symbol.dispose closes the stream', () => {
    const name = res.name();
    const writer = res.writer(name, 4096, false);
    assert.strictEqual(typeof writer[Symbol.dispose], 'function');
    writer[Symbol.dispose]();
    assert.strictEqual(writer.closed, true);
    assert.ok(!segmentExists(name));
  });

  it('unlink(name) removes the name; open streams keep working on their mapping', function () {
    notOnWindows(this, ON_WINDOWS.deletePending);
    const name = res.name();
    const writer = res.writer(name, 4096);
    const reader = res.reader(name);
    api.unlink(name);
    assert.ok(!segmentExists(name));
    writer.writeString('orphaned but mapped');
    assert.strictEqual(reader.readString(), 'orphaned but mapped');
  });
});
