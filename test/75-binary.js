// Binary payloads and reads without allocation (README "Binary payloads and reads without
// allocation"): writeBuffer() with type bit kMemoryTypeBuffer (16), readBuffer(), read() by type
// bits, readInto() into the caller's memory, and the errors of each, checked against the segment's
// bytes as the OS holds them.
'use strict';
const assert = require('assert');
const { api, useSegments, readSegment, thrown } = require('./helpers');

const { kMemoryChanged, kMemoryTypeString, kMemoryTypeBuffer } = api;

/** The bytes a view covers (its own window of its ArrayBuffer). */
function bytesOf(view) {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The v2 payload as stored in the segment file: [flags, size, payload bytes]. */
function storedV2(name) {
  const seg = readSegment(name);
  const size = seg.readUInt32LE(12);
  return { flags: seg[0], size, payload: seg.subarray(20, 20 + size) };
}

const NOT_VIEWS = [
  ['an Array', [1, 2, 3]],
  ['an ArrayBuffer', new ArrayBuffer(8)],
  ['a string', 'bytes'],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an array-like object', { length: 4, 0: 1, byteLength: 4 }],
];

describe('75 binary payloads and readInto()', () => {
  const res = useSegments();

  it('kMemoryTypeBuffer is exported and is 16', () => {
    assert.strictEqual(kMemoryTypeBuffer, 16);
  });

  it('writeBuffer() stores the raw bytes of a Buffer, Uint8Array, Uint16Array, DataView and Float64Array with type bit 16', () => {
    const name = res.name();
    const w = res.writer(name, 512);
    const r = res.reader(name);
    const backing = new ArrayBuffer(64);
    new Uint8Array(backing).forEach((_, i, a) => { a[i] = 200 - i; });
    const cases = [
      ['Buffer', Buffer.from([0, 1, 2, 253, 254, 255])],
      ['Uint8Array', new Uint8Array([10, 20, 30])],
      ['Uint16Array', new Uint16Array([0x0102, 0xfffe, 0x8000])],
      ['DataView with a byteOffset', new DataView(backing, 5, 11)],
      ['Float64Array', new Float64Array([Math.PI, -0, NaN])],
      ['a subarray of a Buffer', Buffer.from('0123456789').subarray(3, 7)],
      ['an empty Uint8Array', new Uint8Array(0)],
    ];
    let changed = 0;
    for (const [label, view] of cases) {
      const expected = Buffer.from(bytesOf(view)); // a copy: the bytes as they are now
      w.writeBuffer(view);
      changed ^= kMemoryChanged;
      const stored = storedV2(name);
      assert.strictEqual(stored.flags, kMemoryTypeBuffer | changed, `${label}: flags byte`);
      assert.strictEqual(stored.size, expected.length, `${label}: size field`);
      assert.deepStrictEqual(stored.payload, expected, `${label}: payload bytes in the segment`);
      assert.strictEqual(r.readFlags(), kMemoryTypeBuffer | changed, `${label}: readFlags()`);
      const viaReadBuffer = r.readBuffer();
      assert.ok(Buffer.isBuffer(viaReadBuffer), `${label}: readBuffer() returned ${viaReadBuffer.constructor.name}`);
      assert.deepStrictEqual(viaReadBuffer, expected, `${label}: readBuffer()`);
      const viaRead = r.read();
      assert.ok(Buffer.isBuffer(viaRead), `${label}: read() returned ${viaRead && viaRead.constructor.name}, not a Buffer`);
      assert.deepStrictEqual(viaRead, expected, `${label}: read()`);
    }
  });

  it('writeBuffer() copies: changing the source afterwards changes nothing; readBuffer() returns a copy the caller owns', () => {
    const name = res.name();
    const w = res.writer(name, 128);
    const r = res.reader(name);
    const src = Buffer.from([1, 2, 3, 4]);
    w.writeBuffer(src);
    src.fill(9);
    const a = r.readBuffer();
    assert.deepStrictEqual([...a], [1, 2, 3, 4]);
    a.fill(0);
    assert.deepStrictEqual([...r.readBuffer()], [1, 2, 3, 4]);
    assert.deepStrictEqual([...storedV2(name).payload], [1, 2, 3, 4]);
  });

  it('read() returns by the type bits: null on a new segment, then string, Float32Array, Float64Array, Buffer', () => {
    for (const layout of ['v2', 'v1', 'v0']) {
      const name = res.name();
      const w = res.writer(name, 256, true, { layout });
      const r = res.reader(name, undefined, true, { layout });
      assert.strictEqual(r.read(), null, `${layout}: nothing written yet`);
      w.writeString('text ✓');
      assert.strictEqual(r.read(), 'text ✓', layout);
      w.writeFloatArray(new Float32Array([0.5, 1.5]));
      const f = r.read();
      assert.ok(f instanceof Float32Array, `${layout}: got ${f && f.constructor.name}`);
      assert.deepStrictEqual(f, new Float32Array([0.5, 1.5]));
      w.writeDoubleArray(new Float64Array([1e300]));
      const d = r.read();
      assert.ok(d instanceof Float64Array, `${layout}: got ${d && d.constructor.name}`);
      assert.deepStrictEqual(d, new Float64Array([1e300]));
      w.writeBuffer(new Uint8Array([7, 7, 7]));
      const b = r.read();
      assert.ok(Buffer.isBuffer(b), `${layout}: got ${b && b.constructor.name}`);
      assert.deepStrictEqual([...b], [7, 7, 7]);
      w.writeString('');
      assert.strictEqual(r.read(), '', `${layout}: an empty string is a string, not null`);
    }
  });

  it('readBuffer() returns the payload bytes whatever their type', () => {
    const name = res.name();
    const w = res.writer(name, 256);
    const r = res.reader(name);
    assert.deepStrictEqual(r.readBuffer(), Buffer.alloc(0), 'a new segment has an empty payload');
    w.writeString('héllo');
    assert.deepStrictEqual(r.readBuffer(), Buffer.from('héllo'));
    const f = new Float32Array([1, -2]);
    w.writeFloatArray(f);
    assert.deepStrictEqual(r.readBuffer(), Buffer.from(bytesOf(f)));
  });

  it('a C++ reader sees writeBuffer() payloads through readString (UTF-8 bytes read back as the string), in v2 and v1', () => {
    const text = 'Grüße aus dem Puffer ✓ 😃';
    for (const layout of ['v2', 'v1']) {
      const name = res.name();
      const w = res.writer(name, 256, true, { layout });
      const r = res.reader(name, undefined, true, { layout });
      w.writeBuffer(Buffer.from(text, 'utf8'));
      assert.strictEqual(r.readString(), text, `${layout}: readString()`);
      const seg = readSegment(name);
      const [sizeAt, dataAt] = layout === 'v2' ? [12, 20] : [1, 5];
      const size = seg.readUInt32LE(sizeAt);
      assert.strictEqual(size, Buffer.byteLength(text));
      // Where a C++ readString() looks: size field, then the bytes.
      assert.strictEqual(seg.subarray(dataAt, dataAt + size).toString('utf8'), text, `${layout}: bytes at ${dataAt}`);
      assert.strictEqual(seg[0] & ~kMemoryChanged, kMemoryTypeBuffer);
    }
  });

  describe('readInto()', () => {
    it('copies exactly into a Buffer, Uint8Array and DataView and returns the bytes copied; the rest of the target is untouched', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const payload = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      w.writeBuffer(payload);
      const targets = [
        ['Buffer', () => Buffer.alloc(32, 0xee)],
        ['Uint8Array', () => new Uint8Array(32).fill(0xee)],
        ['DataView', () => new DataView(new Uint8Array(32).fill(0xee).buffer)],
        ['Buffer of exactly the payload size', () => Buffer.alloc(12, 0xee)],
      ];
      for (const [label, make] of targets) {
        const target = make();
        const n = r.readInto(target);
        assert.strictEqual(n, 12, `${label}: returned ${n}`);
        const bytes = bytesOf(target);
        assert.deepStrictEqual(bytes.subarray(0, 12), payload, `${label}: the copied bytes`);
        assert.ok(bytes.subarray(12).every((b) => b === 0xee), `${label}: bytes past the payload were written`);
      }
    });

    it('into a Float32Array / Float64Array returns elements and copies exactly those', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      w.writeFloatArray(new Float32Array([1.5, -2.25, 3e-5]));
      const f = new Float32Array(8).fill(7);
      assert.strictEqual(r.readInto(f), 3);
      assert.deepStrictEqual(f, new Float32Array([1.5, -2.25, 3e-5, 7, 7, 7, 7, 7]));
      w.writeDoubleArray(new Float64Array([Math.PI, -Math.E]));
      const d = new Float64Array(4).fill(-1);
      assert.strictEqual(r.readInto(d), 2);
      assert.deepStrictEqual(d, new Float64Array([Math.PI, -Math.E, -1, -1]));
      // A Float64Array target of the payload's exact length.
      const exact = new Float64Array(2);
      assert.strictEqual(r.readInto(exact), 2);
      assert.deepStrictEqual(exact, new Float64Array([Math.PI, -Math.E]));
      // An empty payload copies nothing.
      w.writeFloatArray(new Float32Array(0));
      const untouched = new Float32Array([4, 4]);
      assert.strictEqual(r.readInto(untouched), 0);
      assert.deepStrictEqual(untouched, new Float32Array([4, 4]));
    });

    it('a payload larger than the target: RangeError ERR_SHM_TOO_LARGE naming both sizes, and the target is unchanged', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      w.writeBuffer(Buffer.alloc(17, 0x11));
      const targets = [
        ['Buffer', Buffer.alloc(16, 0xee)],
        ['Uint8Array', new Uint8Array(16).fill(0xee)],
        ['DataView', new DataView(new Uint8Array(16).fill(0xee).buffer)],
        ['Float32Array', new Float32Array(4).fill(0.25)],
        ['Float64Array', new Float64Array(2).fill(0.25)],
      ];
      for (const [label, target] of targets) {
        const before = Buffer.from(bytesOf(target));
        const err = thrown(() => r.readInto(target), `${label}: readInto()`);
        assert.ok(err instanceof RangeError, `${label}: ${err.name}`);
        assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE', label);
        assert.match(err.message, /17/, `${label}: the message does not name the payload size: ${err.message}`);
        assert.match(err.message, /16/, `${label}: the message does not name the target size: ${err.message}`);
        assert.deepStrictEqual(bytesOf(target), before, `${label}: the target was changed`);
      }
    });

    it('a view with a byteOffset (subarray) is written only inside its window', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      const big = new Uint8Array(64).fill(0xee);
      const window = big.subarray(16, 32);
      w.writeBuffer(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
      assert.strictEqual(r.readInto(window), 10);
      const expected = new Uint8Array(64).fill(0xee);
      expected.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 16);
      assert.deepStrictEqual(big, expected);

      // Exactly the window's size fits; one byte more is refused and nothing moves.
      w.writeBuffer(Buffer.alloc(16, 0x42));
      assert.strictEqual(r.readInto(window), 16);
      expected.fill(0x42, 16, 32);
      assert.deepStrictEqual(big, expected);
      w.writeBuffer(Buffer.alloc(17, 0x99));
      assert.throws(() => r.readInto(window), { code: 'ERR_SHM_TOO_LARGE' });
      assert.deepStrictEqual(big, expected, 'a refused readInto() wrote outside (or inside) the window');

      // Float32Array and DataView windows.
      const floats = new Float32Array(16).fill(9);
      w.writeFloatArray(new Float32Array([1, 2, 3]));
      assert.strictEqual(r.readInto(floats.subarray(4, 8)), 3);
      assert.deepStrictEqual(Array.from(floats), [9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
      const ab = new Uint8Array(32).fill(0xee).buffer;
      w.writeBuffer(Buffer.from([0xaa, 0xbb]));
      assert.strictEqual(r.readInto(new DataView(ab, 8, 4)), 2);
      const after = new Uint8Array(ab);
      assert.deepStrictEqual([after[7], after[8], after[9], after[10]], [0xee, 0xaa, 0xbb, 0xee]);
    });

    it('TypeError (ERR_INVALID_ARG_TYPE) for a target that is not a Buffer, TypedArray or DataView', () => {
      const name = res.name();
      const w = res.writer(name, 256);
      const r = res.reader(name);
      w.writeString('abc');
      for (const [label, value] of NOT_VIEWS) {
        const err = thrown(() => r.readInto(value), `readInto(${label})`);
        assert.ok(err instanceof TypeError, `readInto(${label}): ${err.name}: ${err.message}`);
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', `readInto(${label})`);
      }
      assert.strictEqual(r.hasNewData(), true, 'a refused readInto() counted as reading the value');
    });

    it('layout v0: readInto(Buffer) copies the payload whatever its type, like readBuffer()', () => {
      // v0 places a Float32Array's size and bytes elsewhere than a string's (SPEC §3); readBuffer()
      // follows the type bits, and readInto() into a byte view copies "the payload" too.
      const name = res.name();
      const w = res.writer(name, 256, true, { layout: 'v0' });
      const r = res.reader(name, undefined, true, { layout: 'v0' });
      const f = new Float32Array([1, 2]);
      w.writeFloatArray(f);
      const expected = r.readBuffer();
      assert.deepStrictEqual(expected, Buffer.from(bytesOf(f)), 'readBuffer() on v0');
      const target = Buffer.alloc(64, 0xee);
      let n;
      assert.doesNotThrow(() => { n = r.readInto(target); }, 'readInto(Buffer) on a v0 Float32Array payload');
      assert.strictEqual(n, 8);
      assert.deepStrictEqual(target.subarray(0, 8), expected);
    });
  });

  describe('writeBuffer() errors', () => {
    it('a payload larger than the segment: RangeError ERR_SHM_TOO_LARGE naming the limit; the segment is unchanged', () => {
      for (const [layout, capacity] of [['v2', 44], ['v1', 59]]) {
        const name = res.name();
        const w = res.writer(name, 64, true, { layout });
        const r = res.reader(name, undefined, true, { layout });
        w.writeString('kept');
        const before = readSegment(name);
        for (const view of [Buffer.alloc(capacity + 1), new Float64Array(Math.ceil((capacity + 1) / 8)), new Uint8Array(1000)]) {
          const err = thrown(() => w.writeBuffer(view), `${layout}: writeBuffer of ${view.byteLength} bytes`);
          assert.ok(err instanceof RangeError, `${layout}: ${err.name}`);
          assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE');
          assert.match(err.message, new RegExp(`\\b${capacity}\\b`), `${layout}: the limit ${capacity} is not named: ${err.message}`);
          assert.deepStrictEqual(readSegment(name), before, `${layout}: the segment changed`);
        }
        assert.strictEqual(r.readString(), 'kept');
        assert.strictEqual(r.readFlags(), kMemoryTypeString | kMemoryChanged);
        // Exactly the capacity fits.
        w.writeBuffer(Buffer.alloc(capacity, 0x5a));
        assert.deepStrictEqual(r.readBuffer(), Buffer.alloc(capacity, 0x5a), `${layout}: a payload of exactly ${capacity} bytes`);
      }
    });

    it('TypeError (ERR_INVALID_ARG_TYPE) for a value that is not a Buffer, TypedArray or DataView; the segment is unchanged', () => {
      const name = res.name();
      const w = res.writer(name, 128);
      w.writeString('kept');
      const before = readSegment(name);
      for (const [label, value] of NOT_VIEWS) {
        const err = thrown(() => w.writeBuffer(value), `writeBuffer(${label})`);
        assert.ok(err instanceof TypeError, `writeBuffer(${label}): ${err.name}`);
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', `writeBuffer(${label})`);
      }
      assert.deepStrictEqual(readSegment(name), before);
    });

    it('writeBuffer() after close() is ERR_SHM_CLOSED; a reader has no writeBuffer()', () => {
      const name = res.name();
      const w = res.writer(name, 128);
      const r = res.reader(name);
      assert.strictEqual(typeof r.writeBuffer, 'undefined');
      w.close();
      assert.throws(() => w.writeBuffer(Buffer.from([1])), { code: 'ERR_SHM_CLOSED' });
      r.close();
      assert.throws(() => r.readInto(Buffer.alloc(4)), { code: 'ERR_SHM_CLOSED' });
      assert.throws(() => r.readBuffer(), { code: 'ERR_SHM_CLOSED' });
      assert.throws(() => r.read(), { code: 'ERR_SHM_CLOSED' });
    });
  });
});
