// Compatibility with the real C++ library (SPEC §3): every stream image in
// test/fixtures/vectors (written by libsharedmemory 2.0.0, 1.10.0 and cpp_libsharedmemory 0.0.9)
// is read correctly, and replaying its operations with this module gives the same bytes.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { api, useSegments, writeSegmentFile, readSegment, pokeSegment, u32 } = require('./helpers');

const VECTORS = path.join(__dirname, 'fixtures', 'vectors');
const manifest = JSON.parse(fs.readFileSync(path.join(VECTORS, 'manifest.json'), 'utf8'));

const LAYOUT_OF = {
  'libsharedmemory-2.0.0': 'v2',
  'libsharedmemory-1.10.0': 'v1',
  'cpp_libsharedmemory-0.0.9': 'v0',
};

// Queue images (queue-*.bin) are not covered here: the queue is a later issue and has no API yet,
// so only the stream entries get tests.
const streamEntries = manifest.vectors.filter((v) => path.basename(v.file).startsWith('stream-'));

// markAsRead() is not in the API yet, so the "-acked" entries emulate the reader's markAsRead()
// by writing the bytes the C++ library writes: in 2.x the reader stores the revision it read
// into ack (u32 at 8); in 1.x it clears kMemoryChanged (bit 0 of byte 0).
function emulateMarkAsRead(name, layout) {
  const bytes = readSegment(name);
  if (layout === 'v2') pokeSegment(name, 8, u32(bytes.readUInt32LE(4)));
  else if (layout === 'v1') pokeSegment(name, 0, Buffer.from([bytes[0] & ~api.kMemoryChanged]));
  else throw new Error(`markAsRead has no meaning in layout ${layout}`);
}

// Runs one operation string of the manifest against a writer (and, for reader steps, a reader).
function replay(op, ctx) {
  let m;
  if (/^new writer\b/.test(op)) return; // the writer is already open: nothing written
  if ((m = /^writeString\('(.*)'\)$/s.exec(op))) {
    ctx.writer.writeString(m[1]);
    return;
  }
  if ((m = /^writeFloatArray\((\[.*\])\)$/s.exec(op))) {
    ctx.writer.writeFloatArray(new Float32Array(JSON.parse(m[1])));
    return;
  }
  if ((m = /^writeDoubleArray\((\[.*\])\)$/s.exec(op))) {
    ctx.writer.writeDoubleArray(new Float64Array(JSON.parse(m[1])));
    return;
  }
  if (/^reader: readString\(\); markAsRead\(\)/.test(op)) {
    const reader = ctx.res.reader(ctx.name, undefined, true, { layout: ctx.layout });
    ctx.lastRead = reader.readString();
    emulateMarkAsRead(ctx.name, ctx.layout);
    return;
  }
  throw new Error(`30-vectors: no replay for operation ${JSON.stringify(op)}`);
}

describe('30 vectors of the C++ library (SPEC §3)', () => {
  const res = useSegments();

  it('the manifest lists stream images of all three versions, and every listed image exists', () => {
    const versions = new Set(streamEntries.map((v) => v.file.split('/')[0]));
    assert.deepStrictEqual([...versions].sort(), Object.keys(LAYOUT_OF).sort());
    for (const v of manifest.vectors) assert.ok(fs.existsSync(path.join(VECTORS, v.file)), v.file);
    assert.ok(streamEntries.length >= 17, `only ${streamEntries.length} stream entries`);
  });

  for (const entry of streamEntries) {
    const version = entry.file.split('/')[0];
    const layout = LAYOUT_OF[version];
    const image = fs.readFileSync(path.join(VECTORS, entry.file));
    const { expect } = entry;

    describe(`${entry.file} (layout ${layout})`, () => {
      it('reads what the manifest says', () => {
        assert.strictEqual(image.length, entry.segmentSize, 'image size = segmentSize');
        const name = res.name();
        writeSegmentFile(name, image);
        const reader = res.reader(name, undefined, true, { layout });
        assert.strictEqual(reader.size, entry.segmentSize);
        assert.strictEqual(reader.readFlags(), expect.flags);

        if ('string' in expect) {
          assert.strictEqual(reader.readString(), expect.string);
        } else if ('float32' in expect) {
          const got = reader.readFloatArray();
          assert.ok(got instanceof Float32Array);
          assert.deepStrictEqual(Array.from(got), expect.float32.map(Math.fround));
        } else if ('float64' in expect) {
          const got = reader.readDoubleArray();
          assert.ok(got instanceof Float64Array);
          assert.deepStrictEqual(Array.from(got), expect.float64);
        } else {
          // A fresh segment: nothing written, an empty payload of every type.
          assert.strictEqual(expect.size, 0);
          assert.strictEqual(reader.readString(), '');
          assert.strictEqual(reader.readFloatArray().length, 0);
          assert.strictEqual(reader.readDoubleArray().length, 0);
        }

        if (layout === 'v2') {
          const header = {
            flags: image[0],
            revision: image.readUInt32LE(4),
            ack: image.readUInt32LE(8),
            size: image.readUInt32LE(12),
            lock: image.readUInt32LE(16),
          };
          const { string, float32, float64, ...fields } = expect; // eslint-disable-line no-unused-vars
          assert.deepStrictEqual(header, fields, 'the image header agrees with the manifest');
        }
        assert.deepStrictEqual(readSegment(name), image, 'reading changed the segment (lock left held?)');
      });

      it(`replaying ${JSON.stringify(entry.ops)} writes the same bytes`, () => {
        const name = res.name();
        const writer = res.writer(name, entry.segmentSize, true, { layout });
        const ctx = { res, name, layout, writer, lastRead: undefined };
        for (const op of entry.ops) replay(op, ctx);
        if (/markAsRead/.test(entry.ops.join())) {
          assert.strictEqual(ctx.lastRead, 'world', 'the reader step read the second write');
        }
        const bytes = readSegment(name);
        assert.strictEqual(bytes.length, image.length);
        if (!bytes.equals(image)) {
          const at = bytes.findIndex((b, i) => b !== image[i]);
          assert.fail(`first difference at byte ${at}: wrote 0x${bytes[at].toString(16)}, ` +
            `the C++ library wrote 0x${image[at].toString(16)}\n` +
            `ours:  ${bytes.subarray(0, 48).toString('hex')}\ntheirs: ${image.subarray(0, 48).toString('hex')}`);
        }
      });
    });
  }
});
