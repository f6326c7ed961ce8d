// The layout option (SPEC §2.2, §3): { layout: 'v2' | 'v1' | 'v0' } on both classes, the
// properties of a stream, a reader's default size, and payloads at the exact capacity of each layout.
'use strict';
const assert = require('assert');
const { api, useSegments, segmentSize, readSegment, thrown, sizeSeenByOpener } = require('./helpers');

// Where each layout puts the size field and the payload, per type (SPEC §3.1–3.3).
const FIELDS = {
  v2: { string: [12, 20], float: [12, 20], double: [12, 20] },
  v1: { string: [1, 5], float: [1, 5], double: [1, 5] },
  v0: { string: [1, 5], float: [4, 20], double: [8, 40] },
};
const HEADER = { v2: 20, v1: 5, v0: 5 };

describe('15 layouts and stream properties', () => {
  const res = useSegments();

  it("layout defaults to 'v2' on both classes", () => {
    const name = res.name();
    const writer = res.writer(name, 256);
    const reader = res.reader(name);
    assert.strictEqual(writer.layout, 'v2');
    assert.strictEqual(reader.layout, 'v2');
    writer.writeString('abc');
    const bytes = readSegment(name);
    assert.strictEqual(bytes.readUInt32LE(4), 1, 'v2 revision moved');
    assert.strictEqual(bytes.readUInt32LE(12), 3, 'v2 size field at 12');
    assert.strictEqual(bytes.toString('utf8', 20, 23), 'abc', 'v2 payload at 20');
  });

  for (const layout of ['v2', 'v1', 'v0']) {
    it(`layout '${layout}': properties, and the bytes land where SPEC §3 says`, () => {
      const name = res.name();
      const writer = res.writer(name, 300, false, { layout });
      const reader = res.reader(name, undefined, true, { layout });
      assert.deepStrictEqual(
        { name: writer.name, size: writer.size, layout: writer.layout, persistent: writer.persistent, closed: writer.closed },
        { name, size: 300, layout, persistent: false, closed: false });
      assert.deepStrictEqual(
        { name: reader.name, size: reader.size, layout: reader.layout, persistent: reader.persistent, closed: reader.closed },
        { name, size: sizeSeenByOpener(300, false), layout, persistent: true, closed: false });

      writer.writeString('héllo');
      let bytes = readSegment(name);
      let [sizeAt, dataAt] = FIELDS[layout].string;
      assert.strictEqual(bytes.readUInt32LE(sizeAt), 6);
      assert.strictEqual(bytes.toString('utf8', dataAt, dataAt + 6), 'héllo');
      assert.strictEqual(reader.readString(), 'héllo');

      writer.writeFloatArray(new Float32Array([1.5, -2.25]));
      bytes = readSegment(name);
      [sizeAt, dataAt] = FIELDS[layout].float;
      assert.strictEqual(bytes.readUInt32LE(sizeAt), 8);
      assert.deepStrictEqual([bytes.readFloatLE(dataAt), bytes.readFloatLE(dataAt + 4)], [1.5, -2.25]);
      assert.deepStrictEqual(Array.from(reader.readFloatArray()), [1.5, -2.25]);

      writer.writeDoubleArray(new Float64Array([Math.E]));
      bytes = readSegment(name);
      [sizeAt, dataAt] = FIELDS[layout].double;
      assert.strictEqual(bytes.readUInt32LE(sizeAt), 8);
      assert.strictEqual(bytes.readDoubleLE(dataAt), Math.E);
      assert.deepStrictEqual(Array.from(reader.readDoubleArray()), [Math.E]);

      reader.close();
      assert.strictEqual(reader.closed, true);
      writer.close();
      assert.strictEqual(writer.closed, true);
    });
  }

  it('a reader with no size maps the real size of the segment, whatever it is', () => {
    for (const size of [20, 1000, 4096, 70001]) {
      const name = res.name();
      res.writer(name, size);
      const reader = res.reader(name);
      assert.strictEqual(reader.size, size);
      assert.strictEqual(segmentSize(name), size);
    }
  });

  it('a reader with a size maps just that much', () => {
    const name = res.name();
    res.writer(name, 4096);
    const reader = res.reader(name, 100);
    assert.strictEqual(reader.size, 100);
  });

  for (const layout of ['v2', 'v1', 'v0']) {
    for (const kind of ['string', 'float', 'double']) {
      it(`layout ${layout}, ${kind}: a payload exactly filling the segment works; one element more is ERR_SHM_TOO_LARGE and changes nothing`, () => {
        const name = res.name();
        const size = 203; // odd on purpose: capacity is not a multiple of the element size
        const writer = res.writer(name, size, true, { layout });
        const reader = res.reader(name, undefined, true, { layout });
        const dataAt = FIELDS[layout][kind][1];
        const capacity = size - dataAt;
        if (kind === 'string') assert.strictEqual(capacity, size - HEADER[layout]);
        let fits;
        let tooBig;
        if (kind === 'string') {
          // Ends in a 2-byte character, so the UTF-8 length (not the UTF-16 length) is what counts.
          fits = 'x'.repeat(capacity - 2) + 'é';
          tooBig = 'x'.repeat(capacity - 1) + 'é';
          assert.strictEqual(Buffer.byteLength(fits), capacity);
        } else {
          const Ctor = kind === 'float' ? Float32Array : Float64Array;
          const n = Math.floor(capacity / Ctor.BYTES_PER_ELEMENT);
          fits = new Ctor(n).map((_, i) => i + 0.5);
          tooBig = new Ctor(n + 1).fill(9);
        }
        const write = (v) => (kind === 'string' ? writer.writeString(v)
          : kind === 'float' ? writer.writeFloatArray(v) : writer.writeDoubleArray(v));
        const read = () => (kind === 'string' ? reader.readString()
          : kind === 'float' ? reader.readFloatArray() : reader.readDoubleArray());

        write(fits);
        const back = read();
        assert.deepStrictEqual(kind === 'string' ? back : Array.from(back), kind === 'string' ? fits : Array.from(fits));
        const flags = reader.readFlags();
        const before = readSegment(name);

        const err = thrown(() => write(tooBig));
        assert.ok(err instanceof RangeError, `expected a RangeError, got ${err.name}: ${err.message}`);
        assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE');
        assert.match(err.message, new RegExp(`\\b${capacity}\\b`), 'the message names the limit');
        assert.deepStrictEqual(readSegment(name), before, 'the segment bytes are unchanged');
        assert.strictEqual(reader.readFlags(), flags);
      });
    }
  }
});
