// The lsm command (bin/lsm.js), run as a real child process against segments written by this
// module and by the C++ library (the images of test/fixtures/vectors); inspect() and list(), which
// it is built on; and util.inspect of the module's objects.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const { spawn, spawnSync } = require('child_process');
const {
  api, PREFIX, useSegments, writeSegmentFile, readSegment, pokeSegment, segmentExists, segmentFile, linuxOnly, u32,
} = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'lsm.js');
const VECTORS = path.join(__dirname, 'fixtures', 'vectors');
const manifest = JSON.parse(fs.readFileSync(path.join(VECTORS, 'manifest.json'), 'utf8'));

function lsm(...args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function lsmJson(...args) {
  const r = lsm(...args, '--json');
  assert.strictEqual(r.status, 0, `lsm ${args.join(' ')} --json: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// What detection makes of each image. The layouts carry no magic number (goshm/detect.go), so some
// images read as another layout too: a v1 empty string has the header of a v2 stream, and v0 puts
// a float array's size where a v2 revision or ack would be. --layout reads them as what they are.
const DETECTED = {
  'libsharedmemory-2.0.0/stream-fresh.bin': ['blank', null],
  'libsharedmemory-1.10.0/stream-fresh.bin': ['blank', null],
  'libsharedmemory-1.10.0/stream-empty-string.bin': ['stream', 'v2'],
  'cpp_libsharedmemory-0.0.9/stream-float32.bin': ['stream', 'v2'],
  'cpp_libsharedmemory-0.0.9/stream-float64.bin': ['stream', 'v2'],
};
const LAYOUT_OF = { 'libsharedmemory-2.0.0': 'v2', 'libsharedmemory-1.10.0': 'v1', 'cpp_libsharedmemory-0.0.9': 'v0' };

function expectedOf(v) {
  const dir = v.file.split('/')[0];
  const kind = path.basename(v.file).startsWith('queue-') ? 'queue' : 'stream';
  // v0 strings read as v1, which puts them at the same place (orV0).
  const [k, layout] = DETECTED[v.file] ?? [kind, LAYOUT_OF[dir] === 'v0' ? 'v1' : LAYOUT_OF[dir]];
  return { kind: k, layout, written: LAYOUT_OF[dir] };
}

function valueOf(expect) {
  if ('string' in expect) return ['string', expect.string];
  if ('float32' in expect) return ['float', Array.from(Float32Array.from(expect.float32))];
  if ('float64' in expect) return ['double', expect.float64];
  return null;
}

// What kill('SIGINT') does to `lsm watch`: on POSIX it is Ctrl+C, which watch ends cleanly with
// status 0; on Windows Node cannot deliver it and terminates the process, which then exits by the
// signal (a real Ctrl+C in a Windows console is an event this test cannot send).
const CTRL_C_EXIT = process.platform === 'win32' ? { code: null, signal: 'SIGINT' } : { code: 0, signal: null };
const exitOf = ({ code, signal }) => ({ code, signal });

describe('38 lsm: detection of every image of the C++ library (stat, cat)', () => {
  const res = useSegments();

  for (const v of manifest.vectors) {
    const { kind, layout, written } = expectedOf(v);
    it(`${v.file}: stat --json says ${kind}${layout ? ` ${layout}` : ''}, cat decodes it`, () => {
      const name = res.name('vec');
      const image = fs.readFileSync(path.join(VECTORS, v.file));
      writeSegmentFile(name, image);
      const info = lsmJson('stat', name);
      assert.strictEqual(info.kind, kind);
      assert.strictEqual(info.layout, layout);
      assert.strictEqual(info.size, image.length);
      if (kind === 'queue') {
        assert.deepStrictEqual(
          [info.queue.count, info.queue.capacity, info.queue.maxMessageSize, info.queue.readIndex, info.queue.writeIndex],
          [v.expect.count, v.capacity, v.maxMessageSize, v.expect.readIndex, v.expect.writeIndex]);
        assert.strictEqual(info.queue.locks === null, layout === 'v1');
        assert.strictEqual(info.stream, null);
        const peek = lsmJson('queue', name);
        assert.deepStrictEqual(peek.peeked.map((m) => m.text), v.expect.messages.slice(0, 1));
        assert.strictEqual(peek.count, v.expect.count);
      }
      if (kind === 'stream' && layout === written) {
        assert.strictEqual(info.stream.flags, v.expect.flags);
        assert.strictEqual(info.stream.length, v.expect.size);
        if (layout === 'v2') {
          assert.deepStrictEqual([info.stream.revision, info.stream.ack], [v.expect.revision, v.expect.ack]);
          assert.deepStrictEqual(info.stream.lock, { state: 'free', holder: 0, alive: null });
        }
      }
      const value = valueOf(v.expect);
      if (value !== null) {
        const out = lsmJson('cat', name, '--layout', written);
        assert.deepStrictEqual([out.type, out.value], value);
        assert.strictEqual(out.layout, written);
      }
      // Looking changed nothing.
      assert.deepStrictEqual(readSegment(name), image);
    });
  }
});

describe('38 lsm: segments written by the module', () => {
  const res = useSegments();

  it('ls --json lists every kind and layout with its details; plain ls prints a row for each', () => {
    const names = {};
    for (const layout of ['v2', 'v1', 'v0']) {
      names[`stream-${layout}`] = res.name(`s-${layout}`);
      res.writer(names[`stream-${layout}`], 256, true, { layout }).writeString('hi there');
    }
    names.float = res.name('float');
    res.writer(names.float, 256, true).writeFloatArray(new Float32Array([1.5, -2]));
    for (const layout of ['v2', 'v1']) {
      names[`queue-${layout}`] = res.name(`q-${layout}`);
      const q = new api.NodeSharedMemoryQueue(names[`queue-${layout}`], 4, 16, true, true, { layout });
      q.enqueue('one');
      q.enqueue('two');
      q.close();
    }
    names.raw = res.name('raw');
    const seg = api.SharedMemory.create(names.raw, 64);
    new Uint8Array(seg.buffer).fill(0xee);
    seg.close();
    names.blank = res.name('blank');
    writeSegmentFile(names.blank, Buffer.alloc(128));

    const all = lsmJson('ls');
    assert.ok(Array.isArray(all));
    const by = Object.fromEntries(all.filter((i) => i.name.startsWith(PREFIX)).map((i) => [i.name, i]));
    const shapeOf = (key) => [by[names[key]].kind, by[names[key]].layout];
    assert.deepStrictEqual(shapeOf('stream-v2'), ['stream', 'v2']);
    assert.deepStrictEqual(shapeOf('stream-v1'), ['stream', 'v1']);
    assert.deepStrictEqual(shapeOf('stream-v0'), ['stream', 'v1']); // a v0 string reads as v1 too
    assert.strictEqual(by[names['stream-v0']].stream.orV0, true);
    assert.deepStrictEqual(shapeOf('queue-v2'), ['queue', 'v2']);
    assert.deepStrictEqual(shapeOf('queue-v1'), ['queue', 'v1']);
    assert.deepStrictEqual(shapeOf('raw'), ['raw', null]);
    assert.deepStrictEqual(shapeOf('blank'), ['blank', null]);
    const v2 = by[names['stream-v2']];
    assert.deepStrictEqual(Object.keys(v2).sort(),
      ['age', 'announced', 'inUse', 'kind', 'layout', 'mapped', 'mode', 'mtime', 'name', 'owner', 'queue', 'size', 'stream'].sort());
    assert.deepStrictEqual(v2.stream, {
      revision: 1, ack: 0, flags: api.kMemoryChanged | api.kMemoryTypeString, type: 'string', length: 8,
      lock: { state: 'free', holder: 0, alive: null }, orV0: false,
    });
    assert.strictEqual(v2.size, 256);
    assert.strictEqual(typeof v2.age, 'number');
    assert.ok(!Number.isNaN(Date.parse(v2.mtime)));
    if (process.platform === 'linux') {
      assert.deepStrictEqual(v2.owner.uid, process.getuid());
      assert.strictEqual(v2.mode, 0o600);
      assert.strictEqual(v2.announced, true, 'the writer is open on it');
      assert.strictEqual(v2.inUse, true);
    }
    assert.deepStrictEqual(by[names.float].stream.type, 'float');
    assert.deepStrictEqual(by[names['queue-v2']].queue, {
      count: 2, capacity: 4, maxMessageSize: 16, readIndex: 0, writeIndex: 2,
      locks: { producer: { state: 'free', holder: 0, alive: null }, consumer: { state: 'free', holder: 0, alive: null } },
    });

    const table = lsm('ls');
    assert.strictEqual(table.status, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0], /^NAME\s+KIND\s+LAYOUT\s+SIZE\s+OWNER\s+MODE\s+AGE\s+IN USE\s+DETAILS$/);
    const row = (key) => lines.find((l) => l.startsWith(`${names[key]} `));
    assert.match(row('stream-v2'), /\bstream\s+v2\s+256B\b.*rev 1 string\(8\) lock free$/);
    assert.match(row('queue-v1'), /\bqueue\s+v1\b.*2\/4 messages, max 16B$/);
    assert.match(row('raw'), /\braw\s+-\s+64B\b/);
  });

  it('stat shows a lock held by a dead process, and by a C++ peer, without changing the segment', () => {
    const name = res.name('lock');
    res.writer(name, 256, true).writeString('x');
    // A pid that is no process here: above pid_max.
    pokeSegment(name, 16, u32(4194304 + 17));
    const before = readSegment(name);
    const dead = lsmJson('stat', name);
    assert.deepStrictEqual(dead.stream.lock, { state: 'held', holder: 4194304 + 17, alive: false });
    const text = lsm('stat', name);
    assert.match(text.stdout, /^lock: +held by pid 4194321 \(dead\)$/m);
    pokeSegment(name, 16, u32(1));
    assert.deepStrictEqual(lsmJson('stat', name).stream.lock, { state: 'held', holder: 1, alive: null });
    pokeSegment(name, 16, u32(process.pid));
    assert.deepStrictEqual(lsmJson('stat', name).stream.lock, { state: 'held', holder: process.pid, alive: true });
    pokeSegment(name, 16, u32(0));
    before.writeUInt32LE(0, 16);
    assert.deepStrictEqual(readSegment(name), before);
  });

  it('cat decodes by the type bits, --as forces a decoding, --json has name, layout, type, revision, value', () => {
    const name = res.name('cat');
    const w = res.writer(name, 256, true);
    w.writeDoubleArray(new Float64Array([0.5, 1e300]));
    assert.strictEqual(lsm('cat', name).stdout, '0.5\n1e+300\n');
    assert.deepStrictEqual(lsmJson('cat', name), { name, layout: 'v2', type: 'double', revision: 1, value: [0.5, 1e300] });
    w.writeBuffer(Buffer.from([0xde, 0xad, 0x00]));
    assert.strictEqual(lsm('cat', name).stdout, 'dead00\n');
    w.writeString('abcd');
    assert.strictEqual(lsm('cat', name, '--as', 'buffer').stdout, '61626364\n');
    assert.deepStrictEqual(lsmJson('cat', name, '--as', 'float').value, Array.from(new Float32Array(Uint8Array.from(Buffer.from('abcd')).buffer)));
    assert.strictEqual(lsm('cat', name).stdout, 'abcd\n');
    // A raw segment is no stream: detection says so, --layout reads it anyway.
    const raw = res.name('raw');
    const seg = api.SharedMemory.create(raw, 64);
    new Uint8Array(seg.buffer).fill(0xee);
    seg.close();
    const refused = lsm('cat', raw);
    assert.strictEqual(refused.status, 1);
    assert.match(refused.stderr, /raw \(its bytes fit no layout\), not a stream: use --layout/);
  });

  it('write: a string, --float, --double, --file, a new segment with --layout and --size, a queue', () => {
    const name = res.name('write');
    assert.strictEqual(lsm('write', name, 'héllo').status, 0);
    let info = api.inspect(name);
    assert.deepStrictEqual([info.kind, info.layout, info.size], ['stream', 'v2', api.DEFAULT_SIZE]);
    const reader = res.reader(name);
    assert.strictEqual(reader.readString(), 'héllo');
    assert.strictEqual(lsm('write', name, '1, 2.5 -3', '--float').status, 0);
    assert.deepStrictEqual(Array.from(reader.readFloatArray()), [1, 2.5, -3]);
    assert.strictEqual(lsm('write', name, '0.1,0.2', '--double').status, 0);
    assert.deepStrictEqual(Array.from(reader.readDoubleArray()), [0.1, 0.2]);
    assert.strictEqual(reader.revision, 3, 'an existing stream keeps its header: one revision per write');
    const file = path.join(os.tmpdir(), `${PREFIX}file.bin`);
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    try {
      assert.strictEqual(lsm('write', name, '--file', file).status, 0);
    } finally {
      fs.rmSync(file, { force: true });
    }
    assert.deepStrictEqual(reader.read(), Buffer.from([1, 2, 3]));

    const v1 = res.name('write-v1');
    assert.strictEqual(lsm('write', v1, 'old', '--layout', 'v1', '--size', '64').status, 0);
    info = api.inspect(v1);
    assert.deepStrictEqual([info.kind, info.layout, info.size, info.stream.length], ['stream', 'v1', 64, 3]);

    const q = res.name('write-q');
    new api.NodeSharedMemoryQueue(q, 2, 8, true).close();
    assert.strictEqual(lsm('write', q, 'msg').status, 0);
    assert.deepStrictEqual(lsmJson('queue', q).peeked.map((m) => m.text), ['msg']);

    const bad = lsm('write', name, 'x,y', '--float');
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /--float takes numbers/);
    assert.strictEqual(lsm('write', name, '1', '--float', '--double').status, 2);
    assert.deepStrictEqual(reader.read(), Buffer.from([1, 2, 3]), 'a refused write changes nothing');
  });

  it('queue: peek leaves the messages, --take N removes and prints up to N, text or hex', () => {
    const name = res.name('queue');
    const q = new api.NodeSharedMemoryQueue(name, 4, 16, true);
    try {
      q.enqueue('first');
      q.enqueue(Buffer.from([0xff, 0x00]));
      q.enqueue('third');
      const peek = lsm('queue', name);
      assert.strictEqual(peek.stdout, `${name}: 3/4 messages (max 16 bytes)\nfirst\n`);
      assert.strictEqual(q.size, 3);
      const taken = lsmJson('queue', name, '--take', '2');
      assert.deepStrictEqual(taken, {
        name, layout: 'v2', count: 1, capacity: 4, maxMessageSize: 16,
        taken: [{ length: 5, text: 'first', hex: '6669727374' }, { length: 2, text: null, hex: 'ff00' }],
      });
      assert.strictEqual(lsm('queue', name, '--take', '5').stdout, 'third\n');
      assert.strictEqual(q.size, 0);
      assert.strictEqual(lsm('queue', name, '--take', '0').status, 2);
    } finally {
      q.close();
    }
  });

  it('rm removes exactly the names it is given; a missing one is exit status 3, the others still go', () => {
    const [a, b, keep] = [res.name('rm-a'), res.name('rm-b'), res.name('rm-keep')];
    for (const n of [a, b, keep]) res.writer(n, 64, true).close();
    const r = lsm('rm', a, `${PREFIX}missing`, b);
    assert.strictEqual(r.status, 3);
    assert.match(r.stderr, /ENOENT/);
    assert.deepStrictEqual([segmentExists(a), segmentExists(b), segmentExists(keep)], [false, false, true]);
  });

  it('rm --stale removes only v2 segments nobody has open, and --dry-run nothing', async function () {
    linuxOnly(this, 'presence locks and /proc tell who uses a segment');
    const prefix = `${PREFIX}stale-`;
    const gone = res.adopt(`${prefix}gone`);
    const queue = res.adopt(`${prefix}queue`);
    const held = res.adopt(`${prefix}held`);
    const v1 = res.adopt(`${prefix}v1`);
    const fresh = res.adopt(`${prefix}fresh`);
    const blank = res.adopt(`${prefix}blank`);
    res.writer(blank, 64, true).close(); // nothing written: no layout shows, so never stale
    const writer = res.writer(gone, 64, true);
    writer.writeString('left behind');
    writer.close();
    new api.NodeSharedMemoryQueue(queue, 2, 8, true).close();
    res.writer(v1, 64, true, { layout: 'v1' }).writeString('v1 users announce nothing');
    const peer = await res.forkPeer();
    await peer.call('open', { role: 'writer', name: held, size: 64, persistent: true });
    // Changed more than a second ago, as a leftover is; `fresh` was changed just now.
    const past = new Date(Date.now() - 60000);
    for (const n of [gone, queue, held, v1, blank]) fs.utimesSync(segmentFile(n), past, past);
    res.writer(fresh, 64, true).writeString('just written');

    const dry = lsmJson('rm', '--stale', '--prefix', prefix, '--dry-run');
    assert.deepStrictEqual(dry, { dryRun: true, removed: [gone, queue] });
    assert.ok([gone, queue, held, v1, fresh, blank].every(segmentExists));
    const r = lsm('rm', '--stale', '--prefix', prefix);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, `removed ${gone}\nremoved ${queue}\n`);
    assert.deepStrictEqual([gone, queue, held, v1, fresh, blank].map(segmentExists), [false, false, true, true, true, true]);
    assert.strictEqual(api.inspect(held).announced, true);
  });
});

describe('38 lsm: watch', () => {
  const res = useSegments();

  // Starts `lsm watch ... --json`, hands each output line (parsed) to the test, and resolves with
  // the exit status and signal.
  function startWatch(...args) {
    const child = spawn(process.execPath, [BIN, 'watch', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let waiting = null;
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (waiting && lines.length >= waiting.n) waiting.resolve();
    });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
    return {
      child,
      lines,
      exited,
      // Resolves once n lines have come.
      until(n) {
        if (lines.length >= n) return Promise.resolve();
        return new Promise((resolve, reject) => {
          waiting = { n, resolve };
          exited.then((e) => reject(new Error(`watch exited early: ${JSON.stringify(e)}`)));
        });
      },
    };
  }

  it('prints each write of another process with a timestamp and the revision; Ctrl+C ends it with status 0', async () => {
    const name = res.name('watch');
    const w = res.writer(name, 256, true);
    w.writeString('one');
    const watch = startWatch(name);
    try {
      await watch.until(1);
      assert.deepStrictEqual({ ...watch.lines[0], time: 0 }, { time: 0, revision: 1, type: 'string', value: 'one' });
      w.writeString('two');
      await watch.until(2);
      w.writeFloatArray(new Float32Array([2.5]));
      await watch.until(3);
      assert.deepStrictEqual(watch.lines.slice(1).map(({ revision, type, value }) => [revision, type, value]),
        [[2, 'string', 'two'], [3, 'float', [2.5]]]);
      for (const l of watch.lines) assert.ok(Math.abs(Date.parse(l.time) - Date.now()) < 60000, l.time);
    } finally {
      watch.child.kill('SIGINT');
    }
    assert.deepStrictEqual(await watch.exited, { ...CTRL_C_EXIT, stderr: '' });
    assert.strictEqual(w.isMessageRead(), false, 'watching marks nothing read');
  });

  it('follows a v1 stream and a queue\'s fill level', async () => {
    const name = res.name('watch-v1');
    const w = res.writer(name, 256, true, { layout: 'v1' });
    w.writeString('a');
    const watch = startWatch(name, '--interval', '10', '--layout', 'v1');
    const qname = res.name('watch-q');
    const q = new api.NodeSharedMemoryQueue(qname, 4, 8, true);
    const qwatch = startWatch(qname, '--interval', '10');
    try {
      await watch.until(1);
      w.writeString('b');
      await watch.until(2);
      assert.deepStrictEqual(watch.lines.map((l) => [l.revision, l.value]), [[null, 'a'], [null, 'b']]);
      await qwatch.until(1);
      q.enqueue('m');
      await qwatch.until(2);
      q.enqueue('n');
      await qwatch.until(3);
      assert.deepStrictEqual(qwatch.lines.map((l) => [l.count, l.capacity]), [[0, 4], [1, 4], [2, 4]]);
    } finally {
      watch.child.kill('SIGINT');
      qwatch.child.kill('SIGINT');
      await Promise.all([watch.exited, qwatch.exited]);
      q.close();
    }
    assert.deepStrictEqual(exitOf(await watch.exited), CTRL_C_EXIT);
    assert.deepStrictEqual(exitOf(await qwatch.exited), CTRL_C_EXIT);
  });
});

describe('38 lsm: usage, help and exit codes', () => {
  const res = useSegments();

  it('every command has --help (status 0); a bad command, option or argument is status 2', () => {
    for (const cmd of ['ls', 'stat', 'cat', 'watch', 'write', 'rm', 'queue']) {
      const r = lsm(cmd, '--help');
      assert.strictEqual(r.status, 0, cmd);
      assert.match(r.stdout, new RegExp(`^Usage: lsm ${cmd}\\b`), cmd);
    }
    assert.strictEqual(lsm('--help').status, 0);
    assert.strictEqual(lsm().status, 2);
    for (const args of [['bogus'], ['ls', '--bogus'], ['stat'], ['stat', 'a', 'b'], ['cat', 'x', '--as', 'int'],
      ['rm'], ['rm', '--stale', 'x'], ['watch', 'x', '--interval', '-1']]) {
      const r = lsm(...args);
      assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^lsm: /);
    }
  });

  it('a segment that does not exist is status 3 for stat, cat, watch and queue', () => {
    const name = res.name('absent');
    for (const cmd of ['stat', 'cat', 'watch', 'queue']) {
      const r = lsm(cmd, name);
      assert.strictEqual(r.status, 3, cmd);
      assert.match(r.stderr, new RegExp(`^lsm ${cmd}: ENOENT`));
    }
  });

  it('runs as the package\'s bin (package.json bin: lsm and node-libsharedmemory)', () => {
    const pkg = require('../package.json');
    assert.deepStrictEqual(pkg.bin, { lsm: 'bin/lsm.js', 'node-libsharedmemory': 'bin/lsm.js' });
    assert.match(fs.readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    if (process.platform !== 'win32') assert.ok(fs.statSync(BIN).mode & 0o100, 'executable');
  });
});

describe('38 inspect() and list()', () => {
  const res = useSegments();

  it('inspect() describes a segment without changing a byte of it; list() is sorted and has it', () => {
    const name = res.name('api');
    const w = res.writer(name, 128, true);
    w.writeString('value');
    const before = readSegment(name);
    const info = api.inspect(name);
    assert.deepStrictEqual([info.name, info.kind, info.layout, info.size, info.stream.type, info.stream.length],
      [name, 'stream', 'v2', 128, 'string', 5]);
    assert.ok(info.mtime instanceof Date);
    assert.deepStrictEqual(readSegment(name), before);
    const all = api.list();
    const names = all.map((i) => i.name);
    assert.deepStrictEqual(names, [...names].sort());
    assert.deepStrictEqual(all.find((i) => i.name === name), { ...info, age: all.find((i) => i.name === name).age });
  });

  it('inspect() checks its argument and says ENOENT for a missing segment', () => {
    assert.throws(() => api.inspect(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => api.inspect(''), { name: 'RangeError' });
    assert.throws(() => api.inspect(res.name('absent')), { code: 'ENOENT' });
  });
});

describe('38 util.inspect of streams, queues and SharedMemory', () => {
  const res = useSegments();

  it('shows name, layout, size, revision (or count) and closed instead of the internals', () => {
    const name = res.name('show');
    const w = res.writer(name, 64, true);
    w.writeString('x');
    assert.strictEqual(util.inspect(w, { breakLength: Infinity }),
      `NodeSharedMemoryWriteStream { name: '${name}', layout: 'v2', size: 64, revision: 1, closed: false }`);
    const r = res.reader(name, undefined, true, { layout: 'v2' });
    assert.match(util.inspect(r, { breakLength: Infinity }), /^NodeSharedMemoryReadStream \{ name: '.*', layout: 'v2', size: 64, revision: 1, closed: false \}$/);
    r.close();
    assert.strictEqual(util.inspect(r, { breakLength: Infinity }), `NodeSharedMemoryReadStream { name: '${name}', layout: 'v2', size: 64, closed: true }`);
    const qname = res.name('show-q');
    const q = new api.NodeSharedMemoryQueue(qname, 2, 8, false);
    q.enqueue('a');
    assert.strictEqual(util.inspect(q, { breakLength: Infinity }),
      `NodeSharedMemoryQueue { name: '${qname}', layout: 'v2', capacity: 2, maxMessageSize: 8, size: 52, count: 1, closed: false }`);
    q.close();
    const sname = res.name('show-s');
    const s = api.SharedMemory.create(sname, 32, { persistent: false });
    assert.strictEqual(util.inspect(s, { breakLength: Infinity }),
      `SharedMemory { name: '${sname}', size: 32, persistent: false, readOnly: false, closed: false }`);
    s.close();
    assert.match(util.inspect({ deep: { deeper: { w } } }), /\[NodeSharedMemoryWriteStream\]/);
  });
});
