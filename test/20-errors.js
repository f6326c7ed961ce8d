// Every row of SPEC §2.3, table-driven: the error class, the .code, what the message names, and
// that a call that throws changes nothing (no file created, no segment byte changed).
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  api, useSegments, segmentExists, segmentFile, segmentNames, writeSegmentFile, truncateSegment, readSegment, pokeSegment, u32,
  thrown, PREFIX, uniqueName, notOnWindows, ON_WINDOWS,
} = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader } = api;
const MAX = 0xffffffff;

// Each row: a title, a call that must throw, and what it must throw. `call` gets a context with an
// open v2 writer (and reader) on a 256-byte segment whose bytes must not change.
const typeErrorRows = [
  ['writer: a non-string name (42)', () => new Writer(42, 256)],
  ['writer: a null name', () => new Writer(null, 256)],
  ['reader: a non-string name ({})', () => new Reader({})],
  ['writeFloatArray([1, 2])', ({ writer }) => writer.writeFloatArray([1, 2])],
  ['writeFloatArray(Float64Array)', ({ writer }) => writer.writeFloatArray(new Float64Array(2))],
  ['writeFloatArray(Buffer)', ({ writer }) => writer.writeFloatArray(Buffer.alloc(8))],
  ['writeDoubleArray(new Float32Array(1))', ({ writer }) => writer.writeDoubleArray(new Float32Array(1))],
  ['writeDoubleArray([1])', ({ writer }) => writer.writeDoubleArray([1])],
  ['writeString(42)', ({ writer }) => writer.writeString(42)],
  ['writeString() with no argument', ({ writer }) => writer.writeString()],
  ['writeString(new String("x"))', ({ writer }) => writer.writeString(new String('x'))], // eslint-disable-line no-new-wrappers
  ['writer: persistent "yes"', ({ name }) => new Writer(name, 256, 'yes')],
  ['writer: persistent 1', ({ name }) => new Writer(name, 256, 1)],
  ['reader: persistent null', ({ name }) => new Reader(name, 256, null)],
  ['writer: options a string', ({ name }) => new Writer(name, 256, true, 'v1')],
  ['reader: options a number', ({ name }) => new Reader(name, 256, true, 42)],
  ['writer: options null', ({ name }) => new Writer(name, 256, true, null)],
  ['writer: layout 2 (a number)', ({ name }) => new Writer(name, 256, true, { layout: 2 })],
  // An unknown layout string is a bad argument value: Node's convention (ERR_INVALID_ARG_VALUE)
  // and the brief of this suite make that a TypeError.
  ['writer: layout "v3" (not one of the three values)', ({ name }) => new Writer(name, 256, true, { layout: 'v3' })],
  ['reader: layout "V2" (not one of the three values)', ({ name }) => new Reader(name, 256, true, { layout: 'V2' })],
  ['writer: size "100"', ({ name }) => new Writer(name, '100')],
  ['writer: size null', ({ name }) => new Writer(name, null)],
  ['writer: size 100n', ({ name }) => new Writer(name, 100n)],
  ['reader: size "100"', ({ name }) => new Reader(name, '100')],
].map(([title, call]) => ({ title, call, error: TypeError }));

const sizeRangeRows = [
  // [title, constructor, size, options, what the message must name]
  ['writer: size 0', Writer, 0, undefined, [/\b20\b/, /4294967295/]],
  ['writer: size -1', Writer, -1, undefined, [/\b20\b/]],
  ['writer: size 1.5', Writer, 1.5, undefined, [/integer/]],
  ['writer: size NaN', Writer, NaN, undefined, [/integer/]],
  ['writer: size Infinity', Writer, Infinity, undefined, [/4294967295/]],
  ['writer: size 0x100000000 (above the u32 limit)', Writer, MAX + 1, undefined, [/4294967295/]],
  ['writer: size 19 (below the v2 header)', Writer, 19, undefined, [/\b20\b/]],
  ['writer: size 4 (below the v1 header)', Writer, 4, { layout: 'v1' }, [/\b5\b/]],
  ['writer: size 4 (below the v0 header)', Writer, 4, { layout: 'v0' }, [/\b5\b/]],
  ['reader: size 0', Reader, 0, undefined, [/\b20\b/]],
  ['reader: size -5', Reader, -5, undefined, [/\b20\b/]],
  ['reader: size 2.5', Reader, 2.5, undefined, [/integer/]],
  ['reader: size 2^32', Reader, 2 ** 32, undefined, [/4294967295/]],
  ['reader: size 19 (below the v2 header)', Reader, 19, undefined, [/\b20\b/]],
].map(([title, Ctor, size, options, names]) => ({
  title,
  call: ({ name }) => new Ctor(name, size, true, options),
  error: RangeError,
  message: names,
}));

// Bad names are built on this run's prefix, so a file a broken check let through would be found.
const badNameRows = [
  ['name ""', () => '', []],
  ['name of 256 ASCII bytes', (p) => p + 'x'.repeat(256 - p.length), [/\b255\b/]],
  ['name of 256 UTF-8 bytes (128 × "é")', () => 'é'.repeat(128), [/\b255\b/]],
  ["name containing '/'", (p) => `${p}/x`, [/\//]],
  ["name starting with '/'", (p) => `/${p}`, [/\//]],
  ['name containing NUL', (p) => `${p}\0x`, [/NUL/]],
  ['name "."', () => '.', []],
  ['name ".."', () => '..', []],
];

function assertSameBytes(ctx, before) {
  if (before && segmentExists(ctx.name)) {
    assert.deepStrictEqual(readSegment(ctx.name), before, 'the segment bytes changed although the call threw');
  }
}

describe('20 errors (SPEC §2.3)', () => {
  const res = useSegments();

  function context() {
    const name = res.name();
    const writer = res.writer(name, 256);
    writer.writeString('untouched');
    const reader = res.reader(name);
    return { name, writer, reader };
  }

  describe('wrong argument types -> TypeError', () => {
    for (const row of typeErrorRows) {
      it(row.title, () => {
        const ctx = context();
        const before = readSegment(ctx.name);
        const err = thrown(row.call.bind(null, ctx), row.title);
        assert.ok(err instanceof TypeError, `expected a TypeError, got ${err.name}: ${err.message}`);
        assert.ok(err.message.length > 10, 'the message says something');
        assertSameBytes(ctx, before);
      });
    }
  });

  describe('sizes out of range -> RangeError naming the limit, and no segment is made', () => {
    for (const row of sizeRangeRows) {
      it(row.title, () => {
        const name = res.name();
        const err = thrown(() => row.call({ name }), row.title);
        assert.ok(err instanceof RangeError, `expected a RangeError, got ${err.name}: ${err.message}`);
        for (const re of row.message) assert.match(err.message, re);
        assert.ok(!segmentExists(name), 'no segment was created');
      });
    }
  });

  describe('bad names -> RangeError before any system call (no segment file appears)', () => {
    for (const [title, make, names] of badNameRows) {
      it(title, () => {
        const stem = `${PREFIX}bad-`;
        const bad = make(stem);
        const listing = () => segmentNames().filter((e) => e.startsWith(stem) || e === bad).sort();
        const before = listing();
        for (const call of [
          () => new Writer(bad, 256, false),
          () => new Reader(bad),
          () => api.unlink(bad),
        ]) {
          const err = thrown(call, title);
          assert.ok(err instanceof RangeError, `expected a RangeError, got ${err.name}: ${err.message}`);
          assert.match(err.message, /name/);
          for (const re of names) assert.match(err.message, re);
        }
        assert.deepStrictEqual(listing(), before, 'a segment file appeared');
        if (bad.includes('\0')) assert.ok(!segmentExists(bad.split('\0')[0]), 'the name was truncated at NUL and created');
      });
    }

    it('a name of exactly 255 bytes is accepted (the boundary)', () => {
      const name = res.adopt(PREFIX + 'y'.repeat(255 - PREFIX.length));
      assert.strictEqual(Buffer.byteLength(name), 255);
      const w = res.writer(name, 64, false);
      w.writeString('ok');
      assert.ok(segmentExists(name));
    });
  });

  describe('the OS refuses -> Error with the errno name as .code', () => {
    it('a reader of a missing segment: ENOENT, with the name in the message and in .segment', () => {
      const name = res.name();
      const err = thrown(() => new Reader(name));
      assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), `got ${err.name}`);
      assert.ok(err instanceof Error);
      assert.strictEqual(err.code, 'ENOENT');
      assert.strictEqual(err.segment, name);
      assert.ok(err.message.includes(name), `message ${JSON.stringify(err.message)} does not name the segment`);
      assert.strictEqual(err.errno, -2);
      assert.strictEqual(typeof err.syscall, 'string');
      assert.ok(!segmentExists(name), 'a reader does not create the segment');
    });

    it('a symbolic link planted as the segment file is not followed: ELOOP, and its target is untouched', function () {
      notOnWindows(this, ON_WINDOWS.symlinks);
      const name = res.name();
      const target = path.join(os.tmpdir(), `${name}.target`);
      fs.writeFileSync(target, 'do not overwrite');
      try {
        fs.symlinkSync(target, segmentFile(name));
        for (const open of [() => new Writer(name, 4096, false), () => new Reader(name)]) {
          const err = thrown(open);
          assert.strictEqual(err.code, 'ELOOP', `${err.code}: ${err.message}`);
          assert.strictEqual(err.segment, name);
          assert.ok(err.message.includes(name));
        }
        assert.strictEqual(fs.readFileSync(target, 'utf8'), 'do not overwrite');
        assert.ok(fs.lstatSync(segmentFile(name)).isSymbolicLink(), 'the link is still there');
      } finally {
        fs.rmSync(target, { force: true });
      }
    });

    // Not an OS refusal any more: every non-regular file is ERR_SHM_LAYOUT (test/87-hostile-open.js).
    // Windows refuses to open a directory as a file itself (ERROR_ACCESS_DENIED).
    it('a directory as the segment file: ERR_SHM_LAYOUT, as any non-regular file (EACCES on Windows)', () => {
      const name = uniqueName('dir');
      fs.mkdirSync(segmentFile(name));
      try {
        for (const open of [() => new Writer(name, 4096), () => new Reader(name)]) {
          assert.strictEqual(thrown(open).code, process.platform === 'win32' ? 'EACCES' : 'ERR_SHM_LAYOUT');
        }
      } finally {
        fs.rmdirSync(segmentFile(name));
      }
    });

    it('unlink() of a missing segment: ENOENT with .segment', () => {
      const name = res.name();
      const err = thrown(() => api.unlink(name));
      assert.strictEqual(err.code, 'ENOENT');
      assert.strictEqual(err.segment, name);
    });
  });

  describe('use after close() -> ERR_SHM_CLOSED', () => {
    const methods = [
      ['writer', 'readFlags', []],
      ['writer', 'writeString', ['x']],
      ['writer', 'writeFloatArray', [new Float32Array(1)]],
      ['writer', 'writeDoubleArray', [new Float64Array(1)]],
      ['reader', 'readFlags', []],
      ['reader', 'readString', []],
      ['reader', 'readFloatArray', []],
      ['reader', 'readDoubleArray', []],
    ];
    for (const [role, method, args] of methods) {
      it(`${role}.${method}() after close()`, () => {
        const ctx = context();
        const stream = ctx[role];
        stream.close();
        const before = readSegment(ctx.name);
        const err = thrown(() => stream[method](...args));
        assert.ok(err instanceof Error);
        assert.strictEqual(err.code, 'ERR_SHM_CLOSED');
        assert.strictEqual(err.segment, ctx.name);
        assert.ok(err.message.includes(ctx.name));
        assertSameBytes(ctx, before);
      });
    }

    it('close() twice is fine, and the properties stay readable', () => {
      const ctx = context();
      for (const s of [ctx.writer, ctx.reader]) {
        s.close();
        s.close();
        assert.strictEqual(s.closed, true);
        assert.strictEqual(s.name, ctx.name);
        assert.strictEqual(s.size, 256);
        assert.strictEqual(s.layout, 'v2');
      }
    });

    it('closing one stream leaves another stream of the same segment open', () => {
      const ctx = context();
      const other = res.reader(ctx.name);
      ctx.reader.close();
      ctx.writer.writeString('still here');
      assert.strictEqual(other.readString(), 'still here');
    });
  });

  describe('segment smaller than asked for, or an inconsistent header -> a project error code', () => {
    it('a reader asking for more than the segment holds: ERR_SHM_SIZE, not a mapping past the end', () => {
      const name = res.name();
      res.writer(name, 4096);
      const err = thrown(() => new Reader(name, 8192));
      assert.ok(!(err instanceof RangeError) && !(err instanceof TypeError), `got ${err.name}`);
      assert.strictEqual(err.code, 'ERR_SHM_SIZE');
      assert.strictEqual(err.segment, name);
      assert.match(err.message, /4096/);
      assert.match(err.message, /8192/);
    });

    it('a reader of an empty (0-byte) segment: ERR_SHM_SIZE', () => {
      const name = res.name();
      writeSegmentFile(name, Buffer.alloc(0));
      const err = thrown(() => new Reader(name));
      assert.strictEqual(err.code, 'ERR_SHM_SIZE');
    });

    for (const layout of ['v2', 'v1']) {
      it(`a reader (layout ${layout}) of a segment smaller than the header: ERR_SHM_LAYOUT`, () => {
        const name = res.name();
        writeSegmentFile(name, Buffer.alloc(layout === 'v2' ? 19 : 4));
        const err = thrown(() => new Reader(name, undefined, true, { layout }));
        assert.strictEqual(err.code, 'ERR_SHM_LAYOUT');
        assert.strictEqual(err.segment, name);
      });
    }

    // The size field of each layout and type (SPEC §3): [offset of the size field, of the payload].
    const fields = {
      v2: { readString: [12, 20], readFloatArray: [12, 20], readDoubleArray: [12, 20] },
      v1: { readString: [1, 5], readFloatArray: [1, 5], readDoubleArray: [1, 5] },
      v0: { readString: [1, 5], readFloatArray: [4, 20], readDoubleArray: [8, 40] },
    };
    for (const layout of ['v2', 'v1', 'v0']) {
      for (const method of ['readString', 'readFloatArray', 'readDoubleArray']) {
        for (const how of ['0xffffffff', 'one byte past the end']) {
          it(`layout ${layout}: ${method}() with a size field ${how}: ERR_SHM_LAYOUT, no crash, nothing changed`, () => {
            const name = res.name();
            const size = 128;
            const [sizeAt, dataAt] = fields[layout][method];
            const image = Buffer.alloc(size);
            image[0] = 3;
            image.writeUInt32LE(how === '0xffffffff' ? MAX : size - dataAt + 1, sizeAt);
            // Written with fs, as a broken or hostile peer would.
            writeSegmentFile(name, image);
            const reader = res.reader(name, undefined, true, { layout, lockTimeout: 200 });
            const err = thrown(() => reader[method]());
            assert.ok(err instanceof Error);
            assert.strictEqual(err.code, 'ERR_SHM_LAYOUT', `${err.code}: ${err.message}`);
            assert.strictEqual(err.segment, name);
            assert.match(err.message, new RegExp(String(size)));
            // The flags byte itself is in bounds; reading it still works.
            assert.strictEqual(reader.readFlags(), 3);
            assert.deepStrictEqual(readSegment(name), image, 'the reader changed the segment');
          });
        }
      }
    }

    for (const method of ['readFloatArray', 'readDoubleArray']) {
      it(`layout v0: ${method}() on a segment too short to hold that type's payload offset: ERR_SHM_LAYOUT`, () => {
        const name = res.name();
        writeSegmentFile(name, Buffer.alloc(12));
        const reader = res.reader(name, undefined, true, { layout: 'v0' });
        const err = thrown(() => reader[method]());
        assert.strictEqual(err.code, 'ERR_SHM_LAYOUT');
        assert.strictEqual(reader.readString(), '', 'strings (payload at 5) still fit');
      });
    }

    it('v2: a lock word held by a peer that never releases it (libsharedmemory stores 1): ERR_SHM_LOCK_TIMEOUT after lockTimeout', () => {
      const name = res.name();
      const writer = res.writer(name, 256, true, { lockTimeout: 100 });
      writer.writeString('before');
      pokeSegment(name, 16, u32(1));
      const before = readSegment(name);
      const reader = res.reader(name, undefined, true, { lockTimeout: 100 });
      for (const call of [() => reader.readString(), () => writer.writeString('blocked')]) {
        const t0 = Date.now();
        const err = thrown(call);
        const took = Date.now() - t0;
        assert.strictEqual(err.code, 'ERR_SHM_LOCK_TIMEOUT', `${err.code}: ${err.message}`);
        assert.ok(took >= 90 && took < 5000, `gave up after ${took} ms`);
      }
      assert.deepStrictEqual(readSegment(name), before);
      pokeSegment(name, 16, u32(0));
      assert.strictEqual(reader.readString(), 'before');
    });
  });

  describe('a payload larger than the segment -> RangeError ERR_SHM_TOO_LARGE, segment unchanged', () => {
    for (const layout of ['v2', 'v1', 'v0']) {
      it(`layout ${layout}: every write method`, () => {
        const name = res.name();
        const writer = res.writer(name, 64, true, { layout });
        writer.writeString('keep me');
        const before = readSegment(name);
        for (const call of [
          () => writer.writeString('x'.repeat(1000)),
          () => writer.writeFloatArray(new Float32Array(100)),
          () => writer.writeDoubleArray(new Float64Array(100)),
        ]) {
          const err = thrown(call);
          assert.ok(err instanceof RangeError, `got ${err.name}`);
          assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE');
          assert.strictEqual(err.segment, name);
          assert.deepStrictEqual(readSegment(name), before);
        }
        assert.strictEqual(res.reader(name, undefined, true, { layout }).readString(), 'keep me');
      });
    }
  });

  describe('another process damages the segment -> an error, never SIGBUS/SIGSEGV (run in a child)', () => {
    for (const layout of ['v2', 'v1', 'v0']) {
      it(`layout ${layout}: the segment truncated to 0 under open streams: ERR_SHM_FAULT, and the process lives on`, async function () {
        notOnWindows(this, ON_WINDOWS.truncate);
        const name = res.name();
        const peer = await res.forkPeer();
        const w = await peer.call('open', { role: 'writer', name, size: 65536, persistent: true, options: { layout } });
        const r = await peer.call('open', { role: 'reader', name, options: { layout } });
        await peer.call('write', { id: w.id, kind: 'string', value: 'z'.repeat(40000) });
        truncateSegment(name, 0);
        const calls = [
          ['read', { id: r.id, kind: 'string' }],
          ['read', { id: r.id, kind: 'float' }],
          ['read', { id: r.id, kind: 'double' }],
          ['flags', { id: r.id }],
          ['write', { id: w.id, kind: 'string', value: 'x' }],
          ['write', { id: w.id, kind: 'double', value: new Float64Array(10) }],
        ];
        for (const [op, args] of calls) {
          const err = await peer.call(op, args).then(() => null, (e) => e);
          assert.ok(err, `${op} ${JSON.stringify(args.kind)} succeeded on a truncated segment`);
          assert.strictEqual(err.code, 'ERR_SHM_FAULT', `${op}: ${err.code}: ${err.message}`);
        }
        // Still alive and working.
        const other = res.name();
        const w2 = await peer.call('open', { role: 'writer', name: other, size: 64, persistent: false });
        const r2 = await peer.call('open', { role: 'reader', name: other });
        await peer.call('write', { id: w2.id, kind: 'string', value: 'alive' });
        assert.strictEqual(await peer.call('read', { id: r2.id, kind: 'string' }), 'alive');
        assert.strictEqual(peer.exitInfo, null);
      });
    }

    it('v2: a header of all 0xff bytes (garbage lock, size and revision): an answer or an ERR_SHM_ error, no crash', async () => {
      const name = res.name();
      const image = Buffer.alloc(128);
      image.fill(0xff, 0, 20);
      writeSegmentFile(name, image);
      const peer = await res.forkPeer();
      const r = await peer.call('open', { role: 'reader', name, options: { lockTimeout: 300 } });
      for (const kind of ['string', 'float', 'double']) {
        const out = await peer.call('read', { id: r.id, kind }).then((v) => ({ v }), (e) => ({ e }));
        if (out.e) assert.match(String(out.e.code), /^ERR_SHM_/, out.e.message);
      }
      assert.strictEqual(typeof await peer.call('flags', { id: r.id }), 'number');
      assert.strictEqual(peer.exitInfo, null, 'the peer died');
    });
  });
});
