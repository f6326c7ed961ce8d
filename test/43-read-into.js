// readInto(target) copies only whole elements of the target's type (issue 11 item 11): a payload
// that ends in part of an element leaves that element, and the rest of the target, as they were.
// Small payloads go through the C fast path (goshm/cabi/fast.c), payloads above its 2 KiB limit
// through the Go engine (goshm/stream.go ReadWhole); both for every layout.
'use strict';
const assert = require('assert');
const { useSegments } = require('./helpers');

// Each target kind, with its element size and how to pre-fill it with a sentinel.
const TARGETS = [
  { kind: 'Float32Array', unit: 4, make: (n) => new Float32Array(n) },
  { kind: 'Float64Array', unit: 8, make: (n) => new Float64Array(n) },
  { kind: 'Uint16Array', unit: 2, make: (n) => new Uint16Array(n) },
  { kind: 'DataView', unit: 1, make: (n) => new DataView(new ArrayBuffer(n)) },
  { kind: 'Buffer', unit: 1, make: (n) => Buffer.alloc(n) },
];

const SENTINEL = 0xa5;

function bytesOf(view) {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

// A payload of n bytes that differs from the sentinel everywhere.
function payload(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i % 200) + 1;
  return b;
}

describe('43 readInto copies whole elements only', () => {
  const res = useSegments();

  for (const layout of ['v2', 'v1', 'v0']) {
    for (const { kind, unit, make } of TARGETS) {
      // The fast path copies up to 2048 bytes; 2048 + a part of an element goes to the engine.
      for (const [path, base] of [['fast path', 0], ['Go engine', 2048]]) {
        const partial = unit === 1 ? [] : [base + unit - 1, base + unit + (unit - 1)];
        for (const size of partial) {
          it(`${layout}, ${kind}, ${path}: a payload of ${size} bytes writes ${Math.floor(size / unit)} elements and leaves the rest`, () => {
            const name = res.name(`into-${layout}`);
            const w = res.writer(name, 8192, false, { layout });
            const r = res.reader(name, undefined, true, { layout });
            const sent = payload(size);
            w.writeBuffer(sent);
            const elements = Math.ceil(size / unit) + 1;
            const target = make(elements);
            bytesOf(target).fill(SENTINEL);
            const got = r.readInto(target);
            const whole = Math.floor(size / unit);
            assert.strictEqual(got, whole);
            const after = bytesOf(target);
            assert.deepStrictEqual(after.subarray(0, whole * unit), sent.subarray(0, whole * unit));
            assert.ok(after.subarray(whole * unit).every((b) => b === SENTINEL),
              `bytes from ${whole * unit} on must keep the sentinel, got ${after.subarray(whole * unit, whole * unit + unit).toString('hex')}`);
          });
        }
        if (unit === 1) {
          it(`${layout}, ${kind}, ${path}: every byte of a ${base + 7}-byte payload is copied, the rest left`, () => {
            const name = res.name(`into-${layout}`);
            const w = res.writer(name, 8192, false, { layout });
            const r = res.reader(name, undefined, true, { layout });
            const sent = payload(base + 7);
            w.writeBuffer(sent);
            const target = make(base + 9);
            bytesOf(target).fill(SENTINEL);
            assert.strictEqual(r.readInto(target), base + 7);
            assert.deepStrictEqual(bytesOf(target).subarray(0, base + 7), sent);
            assert.ok(bytesOf(target).subarray(base + 7).every((b) => b === SENTINEL));
          });
        }
      }
    }

    it(`${layout}: a 3-byte payload read into a Float32Array returns 0 and leaves it untouched`, () => {
      const name = res.name(`into3-${layout}`);
      const w = res.writer(name, 4096, false, { layout });
      const r = res.reader(name, undefined, true, { layout });
      w.writeBuffer(Buffer.from([1, 2, 3]));
      const target = new Float32Array(2);
      bytesOf(target).fill(SENTINEL);
      assert.strictEqual(r.readInto(target), 0);
      assert.ok(bytesOf(target).every((b) => b === SENTINEL));
    });
  }
});
