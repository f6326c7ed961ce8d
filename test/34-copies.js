// Issue 12: the copies of payloads and the values made of them.
// (a) Payloads of every size go through the C fast path now, copied by goshm/cabi/fast.c
//     copy_bytes, which copies backwards in 64-byte blocks when the destination lies 1 to 63 bytes
//     after the source modulo the page (the distance at which glibc's memcpy is slow on AMD CPUs).
//     Every size class, at source and target offsets that land on each branch, must come back
//     byte for byte, in every layout, with the fast path on and off (a child with
//     LSM_NO_FAST_PATH=1 reads what this process wrote, and writes what it reads).
// (c) Strings of ASCII bytes are made as Latin-1 (src/values.cc NewString): any byte with the high
//     bit set, wherever it falls in the 64-byte blocks of the check, must still decode as UTF-8.
// (b) readFloatArray()/readDoubleArray() of up to 64 bytes slice their value off a scratch array
//     of the module: each call must still return a fresh array that owns its bytes.
'use strict';
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { useSegments } = require('./helpers');
const api = require('..');

const PAGE = 4096;
// Payload bytes: odd sizes too, so that the backward copy's leftover head is exercised.
const SIZES = [2047, 2048, 2049, 4096 + 7, 65536 + 3, 300 * 1024 + 5, (1 << 20) - 64, (1 << 20) + 1];
// Offsets of the source (writes) or target (reads) in its buffer, which is page-aligned: each
// puts the payload's place (20 in v2, 5 in v1) a different distance ahead of it.
const OFFSETS = [0, 1, 5, 19, 20, 21, 64, PAGE - 40, PAGE - 1];

/** Bytes that differ from one position, one size and one run to the next. */
function pattern(n, seed) {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A Uint8Array of n bytes at `offset` of a raw segment's memory, which starts on a page. */
function viewAt(res, offset, n) {
  const name = res.name('copy-buffer');
  res.adopt(name);
  const raw = api.SharedMemory.create(name, offset + n + PAGE, { persistent: false });
  return { view: new Uint8Array(raw.buffer, offset, n), close: () => raw.close() };
}

const CHILD = `
const api = require(${JSON.stringify(path.join(__dirname, '..'))});
const [op, name, layout, n, seed] = JSON.parse(process.argv[1]);
const expect = (${pattern.toString()})(n, seed);
if (op === 'check') {
  const r = new api.NodeSharedMemoryReadStream(name, undefined, true, { layout });
  const got = r.readBuffer();
  r.close();
  process.stdout.write(JSON.stringify({ same: Buffer.compare(got, expect) === 0, bytes: got.length }));
} else {
  const w = new api.NodeSharedMemoryWriteStream(name, ${(1 << 20) + 4 * PAGE}, true, { layout, reset: false });
  w.writeBuffer(expect);
  w.close();
  process.stdout.write('{}');
}`;

/** Runs the engine-only child: 'check' reads and compares, 'write' writes the pattern. */
function engineOnly(op, name, layout, n, seed) {
  const r = spawnSync(process.execPath, ['-e', CHILD, JSON.stringify([op, name, layout, n, seed])], {
    env: { ...process.env, LSM_NO_FAST_PATH: '1' }, encoding: 'utf8', timeout: 60000,
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('34 payload copies and the values made of them', function () {
  this.timeout(120000);
  const res = useSegments();

  for (const layout of ['v2', 'v1']) {
    it(`layout ${layout}: writeBuffer from sources at every offset, sizes 2047 B to 1 MiB + 1, reads back byte for byte`, () => {
      const name = res.name(`copy-w-${layout}`);
      const w = res.writer(name, (1 << 20) + 4 * PAGE, false, { layout });
      const r = res.reader(name, undefined, false, { layout });
      let seed = 1;
      for (const n of SIZES) {
        for (const offset of OFFSETS) {
          const expect = pattern(n, seed++);
          const source = viewAt(res, offset, n);
          source.view.set(expect);
          w.writeBuffer(source.view);
          source.close();
          const got = r.readBuffer();
          assert.strictEqual(got.length, n, `${n} bytes from offset ${offset}`);
          assert.ok(Buffer.compare(got, expect) === 0, `${n} bytes from offset ${offset}: the bytes differ`);
        }
      }
    });

    it(`layout ${layout}: readInto targets at every offset, sizes 2047 B to 1 MiB + 1, get the payload byte for byte and nothing past it`, () => {
      const name = res.name(`copy-r-${layout}`);
      const w = res.writer(name, (1 << 20) + 4 * PAGE, false, { layout });
      const r = res.reader(name, undefined, false, { layout });
      let seed = 1000;
      for (const n of SIZES) {
        const expect = pattern(n, seed++);
        w.writeBuffer(expect);
        for (const offset of OFFSETS) {
          const raw = viewAt(res, offset, n + 64);
          const target = raw.view;
          target.fill(0xa5);
          assert.strictEqual(r.readInto(target), n);
          assert.ok(Buffer.compare(Buffer.from(target.buffer, target.byteOffset, n), expect) === 0,
            `${n} bytes into offset ${offset}: the bytes differ`);
          assert.ok(target.subarray(n).every((b) => b === 0xa5), `${n} bytes into offset ${offset}: written past the payload`);
          raw.close();
        }
      }
    });

    it(`layout ${layout}: what the fast path writes, the engine alone reads, and the other way round (LSM_NO_FAST_PATH=1 child)`, () => {
      const name = res.name(`copy-x-${layout}`);
      const w = res.writer(name, (1 << 20) + 4 * PAGE, false, { layout });
      const r = res.reader(name, undefined, false, { layout });
      for (const [i, n] of [4096 + 7, 300 * 1024 + 5].entries()) {
        const source = viewAt(res, 1, n);
        source.view.set(pattern(n, 50 + i));
        w.writeBuffer(source.view);
        source.close();
        assert.deepStrictEqual(engineOnly('check', name, layout, n, 50 + i), { same: true, bytes: n });
        engineOnly('write', name, layout, n, 60 + i);
        assert.ok(Buffer.compare(r.readBuffer(), pattern(n, 60 + i)) === 0, `${n} bytes written by the engine`);
      }
    });
  }

  it('readString()/read() of ASCII and of bytes with the high bit at every place of the ASCII check decode as UTF-8 would', () => {
    const name = res.name('ascii');
    const w = res.writer(name, 8192, false);
    const r = res.reader(name);
    const ascii = Buffer.from('The quick brown fox jumps over the lazy dog 0123456789 ~!'.repeat(80));
    for (const n of [0, 1, 63, 64, 65, 127, 128, 129, 4000]) {
      const plain = ascii.subarray(0, n);
      w.writeString(plain.toString('latin1'));
      assert.strictEqual(r.readString(), plain.toString('latin1'), `${n} ASCII bytes`);
      for (const at of new Set([0, 1, 62, 63, 64, 65, n - 2, n - 1].filter((i) => i >= 0 && i < n))) {
        for (const insert of [Buffer.from('é'), Buffer.from('€'), Buffer.from([0xff]), Buffer.from([0xc3])]) {
          const bytes = Buffer.concat([plain.subarray(0, at), insert, plain.subarray(at + 1)]);
          w.writeBuffer(bytes);
          const expect = bytes.toString('utf8');
          const got = r.readString();
          assert.strictEqual(got, expect, `${n} bytes, ${insert.toString('hex')} at ${at}`);
        }
      }
    }
    w.writeString('naïve café, 東京, 🎉');
    assert.strictEqual(r.read(), 'naïve café, 東京, 🎉');
  });

  for (const [method, write, Type] of [
    ['readFloatArray', 'writeFloatArray', Float32Array],
    ['readDoubleArray', 'writeDoubleArray', Float64Array],
  ]) {
    it(`${method}() of up to 64 bytes returns a fresh array each time, owning its bytes; larger ones too`, () => {
      const name = res.name(`small-${method}`);
      const w = res.writer(name, 4096, false);
      const r = res.reader(name);
      for (const count of [0, 1, 64 / Type.BYTES_PER_ELEMENT, 64 / Type.BYTES_PER_ELEMENT + 1]) {
        const value = Type.from({ length: count }, (_, i) => i + 0.5);
        w[write](value);
        const a = r[method]();
        const b = r[method]();
        assert.ok(a instanceof Type && b instanceof Type);
        assert.notStrictEqual(a, b);
        assert.notStrictEqual(a.buffer, b.buffer);
        assert.deepStrictEqual(Array.from(a), Array.from(value));
        a.fill(-1);
        assert.deepStrictEqual(Array.from(b), Array.from(value), 'a read array shares memory with another');
        assert.deepStrictEqual(Array.from(r[method]()), Array.from(value), 'a read array shares memory with later reads');
        assert.strictEqual(a.byteOffset, 0);
        assert.strictEqual(a.buffer.byteLength, count * Type.BYTES_PER_ELEMENT, 'the array holds more than its value');
      }
    });

    it(`${method}() of a payload that ends in part of an element returns the whole ones, and counts as the read`, () => {
      const name = res.name(`part-${method}`);
      const w = res.writer(name, 4096, false);
      const r = res.reader(name);
      const bytes = Buffer.from(new Type([1.5, 2.5, 3.5]).buffer);
      w.writeBuffer(Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
      assert.strictEqual(r.hasNewData(), true);
      assert.deepStrictEqual(Array.from(r[method]()), [1.5, 2.5, 3.5]);
      assert.strictEqual(r.hasNewData(), false);
    });
  }
});
