// Raw segments (README "Raw segments"): SharedMemory.create/open, the zero-copy .buffer shared
// between processes (test/fixtures/raw-peer.js), read()/write() with their bounds and type errors,
// read-only mappings, permissions, close() detaching every view, unlink(), the mapping's lifetime
// under garbage collection (test/fixtures/raw-gc.js, --expose-gc) and a segment truncated by
// another process.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const {
  api, useSegments, segmentExists, readSegment, segmentSize, segmentMode, truncateSegment, linuxOnly, Peer, thrown,
  notOnWindows, ON_WINDOWS,
} = require('./helpers');

const { SharedMemory } = api;
const FIXTURES = path.join(__dirname, 'fixtures');

function runGc(scenario, name) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(FIXTURES, 'raw-gc.js'), [scenario, name], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let message = null;
    child.on('message', (m) => { message = m; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!message) reject(new Error(`raw-gc.js ${scenario} exited (code ${code}, signal ${signal}) without a result`));
      else if (message.error) reject(new Error(`raw-gc.js ${scenario}: ${message.error}`));
      else resolve({ ...message.result, exit: { code, signal } });
    });
  });
}

describe('80 raw segments (SharedMemory)', () => {
  // Registered before useSegments(): children end before their segments are removed.
  const peers = [];
  const segments = [];
  afterEach(async () => {
    for (const s of segments.splice(0)) s.close();
    await Promise.all(peers.splice(0).map((p) => p.kill()));
  });
  const res = useSegments();

  const create = (...args) => {
    const s = SharedMemory.create(...args);
    segments.push(s);
    return s;
  };
  const open = (...args) => {
    const s = SharedMemory.open(...args);
    segments.push(s);
    return s;
  };

  async function forkPeer() {
    const child = fork(path.join(FIXTURES, 'raw-peer.js'), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const peer = new Peer('process', child);
    peers.push(peer);
    return peer.ready;
  }

  it('create()/open() round trip: name, size, readOnly, persistent, closed; a new segment is zero-filled', () => {
    const name = res.name();
    const a = create(name, 4096);
    assert.strictEqual(a.name, name);
    assert.strictEqual(a.size, 4096);
    assert.strictEqual(a.readOnly, false);
    assert.strictEqual(a.persistent, true);
    assert.strictEqual(a.closed, false);
    assert.strictEqual(segmentSize(name), 4096);
    assert.deepStrictEqual(a.read(), Buffer.alloc(4096), 'a new segment holds zeros');

    assert.strictEqual(a.write(100, Buffer.from('hello')), 5, 'write() returns the bytes written');
    const b = open(name);
    assert.strictEqual(b.size, 4096, 'open() maps the whole segment');
    assert.strictEqual(b.readOnly, false);
    assert.strictEqual(b.persistent, true);
    assert.strictEqual(b.read(100, 5).toString(), 'hello');
    b.write(4090, new Uint16Array([0x0201, 0x0403, 0x0605]));
    assert.deepStrictEqual([...a.read(4090)], [1, 2, 3, 4, 5, 6], 'read(offset) reads to the end');
    assert.deepStrictEqual(readSegment(name).subarray(100, 105).toString(), 'hello', 'the bytes are in the segment file');

    const part = open(name, { size: 100 });
    assert.strictEqual(part.size, 100, 'open() with a size maps that much');
    assert.strictEqual(part.read().length, 100);
    assert.throws(() => part.read(100, 1), { code: 'ERR_OUT_OF_RANGE' });

    const np = create(res.name(), 64, { persistent: false });
    assert.strictEqual(np.persistent, false);
    assert.strictEqual(open(name, { persistent: false }).persistent, false);
  });

  it('.buffer is the mapping itself: the same ArrayBuffer each time, and stores through it are read() by every mapping at once', () => {
    const name = res.name();
    const a = create(name, 8192);
    const b = open(name);
    const buf = a.buffer;
    assert.ok(buf instanceof ArrayBuffer);
    assert.strictEqual(buf.byteLength, 8192);
    assert.strictEqual(a.buffer, buf, 'a new ArrayBuffer on each access');
    const view = new Uint8Array(buf);
    view[0] = 255;
    view.set([1, 2, 3], 8189);
    assert.deepStrictEqual([...b.read(0, 1)], [255]);
    assert.deepStrictEqual([...b.read(8189, 3)], [1, 2, 3]);
    assert.strictEqual(readSegment(name)[0], 255, 'the store is in the segment file');
    // The other way: write() through another mapping shows in the view, with no read.
    b.write(10, Buffer.from('zero copy'));
    assert.strictEqual(Buffer.from(buf, 10, 9).toString(), 'zero copy');
    // Two buffers of two mappings in this process alias the same memory.
    const other = new Float64Array(b.buffer, 16, 1);
    other[0] = Math.PI;
    assert.strictEqual(new Float64Array(buf, 16, 1)[0], Math.PI);
  });

  it('.buffer is shared across processes: a child stores through its buffer and this process sees it in its own, without any read()', async () => {
    const name = res.name();
    const mine = create(name, 4096);
    const view = new Uint8Array(mine.buffer);
    const peer = await forkPeer();
    const child = await peer.call('open', { name });
    assert.strictEqual(child.size, 4096);
    await peer.call('bufferSet', { id: child.id, offset: 2000, bytes: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
    assert.deepStrictEqual([...view.subarray(2000, 2004)], [0xde, 0xad, 0xbe, 0xef]);
    view.set([0xca, 0xfe], 4094);
    assert.deepStrictEqual([...await peer.call('bufferGet', { id: child.id, offset: 4094, length: 2 })], [0xca, 0xfe]);
    // And through the copying calls.
    await peer.call('write', { id: child.id, offset: 0, bytes: new Uint8Array([42]) });
    assert.strictEqual(view[0], 42);
    assert.deepStrictEqual([...await peer.call('read', { id: child.id, offset: 4094, length: 2 })], [0xca, 0xfe]);
  });

  it('read(offset, length) and write(offset, data) out of bounds: RangeError ERR_OUT_OF_RANGE naming the limit; nothing written', () => {
    const name = res.name();
    const s = create(name, 4096);
    s.write(0, Buffer.alloc(4096, 0x77));
    const rangeError = (fn, limit, what) => {
      const err = thrown(fn, what);
      assert.ok(err instanceof RangeError, `${what}: ${err.name}: ${err.message}`);
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', what);
      assert.match(err.message, new RegExp(`\\b${limit}\\b`), `${what}: the limit ${limit} is not named: ${err.message}`);
    };
    rangeError(() => s.read(4097), 4096, 'read(4097)');
    rangeError(() => s.read(-1), 4096, 'read(-1)');
    rangeError(() => s.read(1.5), 4096, 'read(1.5)');
    rangeError(() => s.read(0, 4097), 4096, 'read(0, 4097)');
    rangeError(() => s.read(4000, 97), 96, 'read(4000, 97)');
    rangeError(() => s.read(0, -1), 4096, 'read(0, -1)');
    rangeError(() => s.write(4095, Buffer.alloc(2)), 1, 'write(4095, 2 bytes)');
    rangeError(() => s.write(0, Buffer.alloc(4097)), 4096, 'write(0, 4097 bytes)');
    rangeError(() => s.write(4097, Buffer.alloc(0)), 4096, 'write(4097, 0 bytes)');
    rangeError(() => s.write(-1, Buffer.alloc(1)), 4096, 'write(-1, 1 byte)');
    assert.deepStrictEqual(readSegment(name), Buffer.alloc(4096, 0x77), 'a refused write changed the segment');
    // The edges themselves are fine.
    assert.strictEqual(s.read(4096).length, 0);
    assert.strictEqual(s.read(4096, 0).length, 0);
    assert.strictEqual(s.write(4096, Buffer.alloc(0)), 0);
    assert.strictEqual(s.write(4095, Buffer.from([1])), 1);
  });

  it('TypeErrors (ERR_INVALID_ARG_TYPE) for read()/write()/create()/open() arguments of the wrong type', () => {
    const name = res.name();
    const s = create(name, 64);
    const typeError = (fn, what) => {
      const err = thrown(fn, what);
      assert.ok(err instanceof TypeError, `${what}: ${err.name}: ${err.message}`);
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', what);
    };
    typeError(() => s.read('0'), "read('0')");
    typeError(() => s.read(0, '4'), "read(0, '4')");
    typeError(() => s.read(null), 'read(null)');
    typeError(() => s.write('0', Buffer.alloc(1)), "write('0', buf)");
    typeError(() => s.write(0, 'text'), "write(0, 'text')");
    typeError(() => s.write(0, [1, 2]), 'write(0, [1, 2])');
    typeError(() => s.write(0, new ArrayBuffer(2)), 'write(0, ArrayBuffer)');
    typeError(() => s.write(0), 'write(0)');
    typeError(() => SharedMemory.create(name, '64'), "create(name, '64')");
    typeError(() => SharedMemory.create(42, 64), 'create(42, 64)');
    typeError(() => SharedMemory.open(name, { size: '8' }), "open(name, { size: '8' })");
    typeError(() => SharedMemory.open(name, { readOnly: 'yes' }), "open(name, { readOnly: 'yes' })");
    assert.throws(() => SharedMemory.create(name, 0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new SharedMemory(), TypeError, 'the constructor is not public');
    assert.deepStrictEqual(s.read(), Buffer.alloc(64));
  });

  it('open() of a missing name is ENOENT (errno, syscall, segment); a size larger than the segment is ERR_SHM_SIZE', () => {
    const missing = res.name('missing');
    const err = thrown(() => open(missing), 'open(missing)');
    assert.strictEqual(err.code, 'ENOENT');
    assert.strictEqual(err.segment, missing);
    assert.strictEqual(typeof err.errno, 'number');
    assert.ok(err.errno < 0, `errno ${err.errno}`);
    assert.strictEqual(typeof err.syscall, 'string');
    assert.ok(err.message.includes(missing), `the message does not name the segment: ${err.message}`);
    assert.ok(!segmentExists(missing), 'open() created the segment');

    const name = res.name();
    create(name, 4096);
    const big = thrown(() => open(name, { size: 4097 }), 'open with size 4097');
    assert.strictEqual(big.code, 'ERR_SHM_SIZE');
    assert.strictEqual(segmentSize(name), 4096, 'open() grew the segment');
  });

  it('a readOnly open reads, and write() throws ERR_SHM_READ_ONLY leaving the segment unchanged', () => {
    const name = res.name();
    const w = create(name, 256);
    w.write(0, Buffer.from('original'));
    const ro = open(name, { readOnly: true });
    assert.strictEqual(ro.readOnly, true);
    assert.strictEqual(ro.read(0, 8).toString(), 'original');
    const err = thrown(() => ro.write(0, Buffer.from('changed!')), 'readOnly write()');
    assert.strictEqual(err.code, 'ERR_SHM_READ_ONLY');
    assert.strictEqual(err.segment, name);
    assert.strictEqual(w.read(0, 8).toString(), 'original');
    // It still sees writes made elsewhere.
    w.write(0, Buffer.from('updated!'));
    assert.strictEqual(ro.read(0, 8).toString(), 'updated!');
    // No .buffer on a read-only mapping: JavaScript could store into it (README).
    assert.strictEqual(thrown(() => ro.buffer, 'readOnly .buffer').code, 'ERR_SHM_READ_ONLY');
  });

  it('a store through the .buffer of a readOnly open does not kill the process (SIGSEGV)', async () => {
    // README: "Never crashes the host process"; .buffer is documented to raise SIGBUS only when
    // another process truncates the segment. Either .buffer refuses a read-only mapping, or a
    // store into it must not be a segmentation fault. Run in a child: it may die.
    const name = res.name();
    create(name, 256);
    const peer = await forkPeer();
    const outcome = await peer.call('readOnlyBufferWrite', { name }).then(
      (v) => v,
      (err) => ({ error: err.code || err.message }),
    );
    // A JavaScript error (e.g. ERR_SHM_READ_ONLY from .buffer) is fine; dying of a signal is not.
    assert.strictEqual(peer.exitInfo, null, `the child died: ${outcome.error} (${JSON.stringify(peer.exitInfo)})`);
    assert.strictEqual(await peer.call('ping'), peer.pid, 'the child still answers');
  });

  it('creates segments with mode 0600 by default; the mode option is applied exactly (no umask)', function () {
    notOnWindows(this, ON_WINDOWS.modes);
    const d = res.name();
    create(d, 64);
    assert.strictEqual(segmentMode(d).toString(8), '600');
    for (const mode of [0o640, 0o666, 0o604, 0o400]) {
      const n = res.name();
      create(n, 64, { mode });
      assert.strictEqual(segmentMode(n).toString(8), mode.toString(8), `mode ${mode.toString(8)}`);
    }
    assert.throws(() => SharedMemory.create(res.name(), 64, { mode: 0o1000 }), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('after close(): .buffer throws ERR_SHM_CLOSED, old views are detached (length 0), new views throw TypeError, read()/write() throw ERR_SHM_CLOSED', () => {
    const name = res.name();
    const s = create(name, 1024);
    const keep = open(name); // another mapping of the same segment, not closed
    const buf = s.buffer;
    const u8 = new Uint8Array(buf);
    const f64 = new Float64Array(buf, 8, 4);
    const dv = new DataView(buf, 100, 10);
    u8[0] = 9;
    s.close();
    assert.strictEqual(s.closed, true);
    assert.strictEqual(buf.byteLength, 0, 'the ArrayBuffer was not detached');
    assert.strictEqual(u8.length, 0);
    assert.strictEqual(u8.byteLength, 0);
    assert.strictEqual(f64.length, 0);
    assert.strictEqual(u8[0], undefined, 'a detached view still reads memory');
    assert.throws(() => dv.getUint8(0), TypeError);
    assert.throws(() => new Uint8Array(buf), TypeError);
    assert.throws(() => new Float32Array(buf, 0, 1), TypeError);
    assert.throws(() => s.buffer, { code: 'ERR_SHM_CLOSED' });
    assert.throws(() => s.read(0, 1), { code: 'ERR_SHM_CLOSED' });
    assert.throws(() => s.write(0, Buffer.from([1])), { code: 'ERR_SHM_CLOSED' });
    s.close(); // twice is fine
    assert.strictEqual(s.closed, true);
    // Another SharedMemory of the same segment is unaffected, and so is its buffer.
    assert.strictEqual(keep.read(0, 1)[0], 9);
    assert.strictEqual(new Uint8Array(keep.buffer)[0], 9);
    assert.ok(segmentExists(name), 'closing a persistent SharedMemory removed the segment');
  });

  it('persistent: false removes the name on close(); unlink() removes it while the mapping stays usable', function () {
    notOnWindows(this, ON_WINDOWS.deletePending);
    const gone = res.name();
    const np = create(gone, 64, { persistent: false });
    assert.ok(segmentExists(gone));
    np.close();
    assert.ok(!segmentExists(gone), 'persistent: false left the segment behind');

    const name = res.name();
    const s = create(name, 256);
    const view = new Uint8Array(s.buffer);
    s.write(0, Buffer.from('before'));
    s.unlink();
    assert.ok(!segmentExists(name), 'unlink() left the name');
    assert.throws(() => SharedMemory.open(name), { code: 'ENOENT' });
    assert.strictEqual(s.read(0, 6).toString(), 'before');
    s.write(0, Buffer.from('after!'));
    assert.strictEqual(Buffer.from(view.subarray(0, 6)).toString(), 'after!');
    view[10] = 7;
    assert.strictEqual(s.read(10, 1)[0], 7);
    assert.throws(() => s.unlink(), { code: 'ENOENT' }, 'a second unlink() finds nothing');
    s.close();

    // A non-persistent segment whose name is already gone closes without an error.
    const n2 = res.name();
    const np2 = create(n2, 64, { persistent: false });
    np2.unlink();
    np2.close();
    assert.strictEqual(np2.closed, true);
  });

  it('the mapping lives while its buffer is reachable: the SharedMemory object collected, the buffer still works; then gc releases the mapping', async function () {
    linuxOnly(this, 'raw-gc.js counts the mappings in /proc/self/maps');
    const name = res.name();
    const r = await runGc('keep-buffer', name);
    assert.deepStrictEqual(r.exit, { code: 0, signal: null });
    assert.strictEqual(r.before, 1, 'one mapping while the object and buffer are alive');
    assert.ok(r.objectRounds >= 0, 'the SharedMemory object was never collected');
    assert.deepStrictEqual(r.whileKept, { byteLength: 8192, readsBack: true, storeSeenInFile: true, mappings: 1 });
    assert.ok(r.bufferRounds >= 0, `the mapping outlived its buffer: ${r.after} mapping(s) after 200 rounds of gc()`);
    assert.strictEqual(r.after, 0);
    assert.strictEqual(readSegment(name)[5000], 0xa5);
  });

  it('a SharedMemory and its buffer dropped together: gc leaves no mapping', async function () {
    linuxOnly(this, 'raw-gc.js counts the mappings in /proc/self/maps');
    const name = res.name();
    const r = await runGc('drop-both', name);
    assert.deepStrictEqual(r.exit, { code: 0, signal: null });
    assert.strictEqual(r.before, 1);
    assert.ok(r.rounds >= 0, `${r.after} mapping(s) left after 200 rounds of gc()`);
    assert.strictEqual(r.after, 0);
  });

  it('a segment truncated to 0 by another process: read()/write() throw ERR_SHM_FAULT and the process lives on', async function () {
    notOnWindows(this, ON_WINDOWS.truncate);
    const name = res.name();
    const s = create(name, 65536);
    s.write(0, Buffer.from('before truncation'));
    const peer = await forkPeer();
    const child = await peer.call('open', { name });
    assert.deepStrictEqual(Buffer.from(await peer.call('read', { id: child.id, offset: 0, length: 17 })).toString(), 'before truncation');
    truncateSegment(name, 0); // this process is the "other process" for the child
    const probe = await peer.call('faultProbe', { id: child.id });
    assert.deepStrictEqual(probe, {
      read: 'ERR_SHM_FAULT', readEnd: 'ERR_SHM_FAULT', write: 'ERR_SHM_FAULT', size: 65536, closed: false,
    });
    // Twice, and the child still answers: no signal killed it.
    assert.deepStrictEqual(await peer.call('faultProbe', { id: child.id }), probe);
    assert.strictEqual(await peer.call('ping'), peer.pid);
    assert.strictEqual(peer.exitInfo, null);
    await peer.call('close', { id: child.id });
    // The same here, without the child: this process (mocha) survives too.
    assert.throws(() => s.read(0, 4), { code: 'ERR_SHM_FAULT' });
    assert.throws(() => s.write(0, Buffer.from([1])), { code: 'ERR_SHM_FAULT' });
  });
});
