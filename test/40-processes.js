// Two real processes sharing one segment (child_process.fork of test/fixtures/peer.js, driven by
// request/reply messages; no sleeps): writer in the parent and reader in the child, and the other
// way round, in every layout, with strings (non-ASCII, empty, exactly filling) and typed arrays.
'use strict';
const assert = require('assert');
const { api, useSegments, segmentExists, sizeSeenByOpener, REMOVED_WHILE_MAPPED } = require('./helpers');

const SIZE = 256;
// Payload offset of each type in each layout (SPEC §3): the capacity is SIZE minus it.
const DATA_AT = {
  v2: { string: 20, float: 20, double: 20 },
  v1: { string: 5, float: 5, double: 5 },
  v0: { string: 5, float: 20, double: 40 },
};

// The payloads sent across, built for one layout. Each: [label, kind, value].
function payloads(layout) {
  const cap = (kind) => SIZE - DATA_AT[layout][kind];
  const fill = 'ø'.repeat(Math.floor(cap('string') / 2)) + (cap('string') % 2 ? '!' : '');
  assert.strictEqual(Buffer.byteLength(fill), cap('string'));
  return [
    ['an ASCII string', 'string', 'hello from the other process'],
    ['a non-ASCII string', 'string', 'Grüße, 世界 😃 — ñ ∑ 🇫🇷'],
    ['an empty string', 'string', ''],
    ['a string exactly filling the segment', 'string', fill],
    ['a Float32Array', 'float', new Float32Array([3.234, -4.2222, 5.6667, Number.MAX_VALUE, NaN])],
    ['a Float32Array exactly filling the segment', 'float',
      new Float32Array(Math.floor(cap('float') / 4)).map((_, i) => i / 3)],
    ['a Float64Array', 'double', new Float64Array([3434367673.2334367, -0, Infinity, Number.EPSILON])],
    ['a Float64Array exactly filling the segment', 'double',
      new Float64Array(Math.floor(cap('double') / 8)).map((_, i) => i * Math.PI)],
  ];
}

function write(writer, kind, value) {
  if (kind === 'string') writer.writeString(value);
  else if (kind === 'float') writer.writeFloatArray(value);
  else writer.writeDoubleArray(value);
}

function read(reader, kind) {
  if (kind === 'string') return reader.readString();
  if (kind === 'float') return reader.readFloatArray();
  return reader.readDoubleArray();
}

function assertPayload(got, kind, expected, label) {
  if (kind === 'string') {
    assert.strictEqual(got, expected, label);
    return;
  }
  const Ctor = kind === 'float' ? Float32Array : Float64Array;
  assert.ok(got instanceof Ctor, `${label}: got ${got && got.constructor.name}`);
  // deepStrictEqual treats NaN as equal to NaN and -0 as different from 0, as a byte copy should.
  assert.deepStrictEqual(got, expected, label);
}

const TYPE_BIT = { string: api.kMemoryTypeString, float: api.kMemoryTypeFloat, double: api.kMemoryTypeDouble };

describe('40 two processes', () => {
  const res = useSegments();

  for (const layout of ['v2', 'v1', 'v0']) {
    it(`layout ${layout}: writer in this process, reader in a child`, async () => {
      const name = res.name();
      const writer = res.writer(name, SIZE, true, { layout });
      const peer = await res.forkPeer();
      const r = await peer.call('open', { role: 'reader', name, options: { layout } });
      assert.strictEqual(r.size, SIZE, 'the child mapped the real size');
      assert.notStrictEqual(peer.pid, process.pid);
      let flags = 0;
      for (const [label, kind, value] of payloads(layout)) {
        write(writer, kind, value);
        flags = (flags & api.kMemoryChanged ^ api.kMemoryChanged) | TYPE_BIT[kind];
        assertPayload(await peer.call('read', { id: r.id, kind }), kind, value, label);
        assert.strictEqual(await peer.call('flags', { id: r.id }), flags, `${label}: flags seen by the child`);
      }
    });

    it(`layout ${layout}: writer in a child, reader in this process`, async () => {
      const name = res.name();
      const peer = await res.forkPeer();
      const w = await peer.call('open', { role: 'writer', name, size: SIZE, persistent: false, options: { layout } });
      assert.strictEqual(w.size, SIZE);
      const reader = res.reader(name, undefined, true, { layout });
      assert.strictEqual(reader.size, sizeSeenByOpener(SIZE, false));
      let flags = 0;
      for (const [label, kind, value] of payloads(layout)) {
        await peer.call('write', { id: w.id, kind, value });
        flags = (flags & api.kMemoryChanged ^ api.kMemoryChanged) | TYPE_BIT[kind];
        assertPayload(read(reader, kind), kind, value, label);
        assert.strictEqual(reader.readFlags(), flags, `${label}: flags`);
      }
      // The child's writer is not persistent: closing it there removes the segment here (on
      // Windows, once this reader no longer maps it either).
      await peer.call('close', { id: w.id });
      if (!REMOVED_WHILE_MAPPED) reader.close();
      assert.ok(!segmentExists(name), 'the child closed its non-persistent writer; the segment should be gone');
    });
  }

  it('errors cross intact: a child writing too much gets ERR_SHM_TOO_LARGE, and the segment keeps the last payload', async () => {
    const name = res.name();
    const peer = await res.forkPeer();
    const w = await peer.call('open', { role: 'writer', name, size: 64, persistent: true });
    await peer.call('write', { id: w.id, kind: 'string', value: 'last good' });
    const err = await peer.call('write', { id: w.id, kind: 'string', value: 'x'.repeat(100) }).then(() => null, (e) => e);
    assert.ok(err, 'the oversized write succeeded');
    assert.strictEqual(err.remoteName, 'RangeError');
    assert.strictEqual(err.code, 'ERR_SHM_TOO_LARGE');
    assert.strictEqual(res.reader(name).readString(), 'last good');
  });

  it('v2: a reader here never sees a torn payload while a child writes as fast as it can', async () => {
    const name = res.name();
    const peer = await res.forkPeer();
    const w = await peer.call('open', { role: 'writer', name, size: 65536, persistent: true });
    const payloadSet = ['A'.repeat(30000), 'B'.repeat(50000), 'C'.repeat(7)];
    const reader = res.reader(name);
    await peer.call('spam', { id: w.id, kind: 'string', payloads: payloadSet, durationMs: 400, final: 'DONE' });
    const seen = new Map();
    let torn = 0;
    const deadline = Date.now() + 10000;
    for (;;) {
      const s = reader.readString();
      if (s === 'DONE') break;
      if (s === '' || payloadSet.includes(s)) seen.set(s[0] || '', (seen.get(s[0] || '') || 0) + 1);
      else torn++;
      if (Date.now() > deadline) assert.fail('the child never wrote DONE');
    }
    assert.strictEqual(torn, 0, `${torn} reads returned a mix of two writes`);
    // The reads really overlapped the writes: more than one payload was seen.
    const kinds = ['A', 'B', 'C'].filter((k) => seen.has(k));
    assert.ok(kinds.length >= 2, `only saw ${JSON.stringify([...seen])}: the reads did not overlap the writes`);
  });

  it('v2: two child writers racing on one segment are serialised by the lock (no torn payload seen here)', async () => {
    const name = res.name();
    const [p1, p2] = await Promise.all([res.forkPeer(), res.forkPeer()]);
    const w1 = await p1.call('open', { role: 'writer', name, size: 65536, persistent: true });
    const w2 = await p2.call('open', { role: 'writer', name, size: 65536, persistent: true });
    const mine = { p1: ['1'.repeat(40000), '2'.repeat(9)], p2: ['3'.repeat(20000), '4'.repeat(60000)] };
    const reader = res.reader(name);
    await Promise.all([
      p1.call('spam', { id: w1.id, kind: 'string', payloads: mine.p1, durationMs: 400, final: '2'.repeat(9) }),
      p2.call('spam', { id: w2.id, kind: 'string', payloads: mine.p2, durationMs: 400, final: '3'.repeat(20000) }),
    ]);
    const valid = new Set(['', ...mine.p1, ...mine.p2]);
    const seen = new Set();
    let torn = 0;
    const end = Date.now() + 500;
    while (Date.now() < end) {
      const s = reader.readString();
      if (valid.has(s)) seen.add(s[0] || '');
      else torn++;
    }
    assert.strictEqual(torn, 0, `${torn} reads returned a mix of two writes`);
    assert.ok(seen.has('1') || seen.has('2'), `never saw the first writer: ${[...seen]}`);
    assert.ok(seen.has('3') || seen.has('4'), `never saw the second writer: ${[...seen]}`);
    // Both are done within their 400 ms; the last complete write is one of the two finals.
    await Promise.all([p1.call('flags', { id: w1.id }), p2.call('flags', { id: w2.id })]);
    assert.ok(['2'.repeat(9), '3'.repeat(20000)].includes(reader.readString()));
  });
});
