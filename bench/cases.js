// What the benchmark measures: every case, its baselines, and the targets of the issue. To add a
// case, add an entry to one of the lists below (LATER shows cases of newer APIs, skipped where
// the API is absent); run.js does the rest. A case is one of:
//
//   { id, payload, bytes, requires?, setup(ctx) -> op, baselines? }
//       op() is called in a tight loop and timed (per call, with percentiles, when it is slow);
//   { id, payload, bytes, requires?, run(ctx, budgetNs) -> Promise<{ops, ns} | {samples}>,
//     latency?, baselines? }
//       for what needs another process or thread; latency: true marks a round trip (no bytes/s).
//
// requires(lib) returns true, or a note saying what is missing: the case is then skipped with that
// note printed. baselines lists [id of another case, 'time' | 'rate']: 'time' prints this case's
// time per operation as a multiple of the baseline's (lower is better), 'rate' this case's
// operations per second as a multiple of the baseline's (higher is better).
'use strict';
const { formatSize, timeRatio } = require('./harness');
const baselineAddon = require('./baseline');
const originalAddon = require('./original');

const KiB = 1024;
const MiB = 1024 * KiB;

// ---- payloads --------------------------------------------------------------------------------

const TEXT = 'The quick brown fox jumps over the lazy dog 0123456789. ';

/**
 * An ASCII string of exactly `bytes` bytes (and as many UTF-16 units). Made flat (one sequential
 * one-byte string, as JSON.parse or a socket read gives), not a rope of repeat() pieces.
 */
function text(bytes) {
  return Buffer.alloc(bytes, TEXT, 'latin1').toString('latin1');
}

const ELEMENT = { float: Float32Array, double: Float64Array };
const WRITE = { string: 'writeString', float: 'writeFloatArray', double: 'writeDoubleArray' };
const READ = { string: 'readString', float: 'readFloatArray', double: 'readDoubleArray' };
const TYPE_NAME = { string: 'string', float: 'Float32Array', double: 'Float64Array' };

/** A payload of `bytes` bytes of one kind: 'string', 'float' or 'double'. */
function payload(kind, bytes) {
  if (kind === 'string') return text(bytes);
  const a = new ELEMENT[kind](bytes / ELEMENT[kind].BYTES_PER_ELEMENT);
  for (let i = 0; i < a.length; i++) a[i] = i * 0.5;
  return a;
}

function describe(kind, bytes) {
  if (kind === 'string') return `string ${formatSize(bytes)}`;
  return `${bytes / ELEMENT[kind].BYTES_PER_ELEMENT} x ${kind === 'float' ? 'f32' : 'f64'} (${formatSize(bytes)})`;
}

/** Segment size for a payload of `bytes`: the largest header plus slack. */
function segmentFor(bytes) {
  return Math.max(4 * KiB, bytes + 4 * KiB);
}

// ---- case makers -----------------------------------------------------------------------------

const copyId = (bytes) => `Buffer.copy ${formatSize(bytes)}`;
const baselineId = (op, bytes) => `baseline ${op} ${formatSize(bytes)}`;
const originalId = (op, bytes) => `original ${op} ${formatSize(bytes)}`;
const sliceId = (kind, bytes) => `${TYPE_NAME[kind]}.slice ${formatSize(bytes)}`;
const transportId = (name, kind, bytes) => `${name} ${TYPE_NAME[kind]} ${formatSize(bytes)}`;
const TRANSPORTS = [
  // [name in case ids, peer for strings, peer for typed arrays (IPC: structured clone, as JSON
  // cannot carry them)]
  ['child_process IPC', 'ipc', 'ipc-advanced'],
  ['Unix socket', 'socket', 'socket'],
  ['worker postMessage', 'worker', 'worker'],
];
const IPC = TRANSPORTS[0][0];

// The operations of the 0.0.9 API on a writer and a reader of `who`: this module ('shm', through
// ctx.streams) or the original addon ('original', when given: see originalStreams below).
function apiWrite(who, kind, bytes) {
  return {
    id: `${who} ${WRITE[kind]} ${formatSize(bytes)}`,
    payload: describe(kind, bytes),
    bytes,
    requires: REQUIRES[who],
    setup(ctx) {
      const { w } = STREAMS[who](ctx, bytes);
      const value = payload(kind, bytes);
      const write = WRITE[kind];
      return () => w[write](value);
    },
  };
}

function apiRead(who, kind, bytes) {
  return {
    id: `${who} ${READ[kind]} ${formatSize(bytes)}`,
    payload: describe(kind, bytes),
    bytes,
    requires: REQUIRES[who],
    setup(ctx) {
      const { w, r } = STREAMS[who](ctx, bytes);
      w[WRITE[kind]](payload(kind, bytes));
      const read = READ[kind];
      return () => r[read]();
    },
  };
}

function apiReadFlags(who) {
  return {
    id: `${who} readFlags`,
    payload: 'flags byte',
    bytes: 1,
    requires: REQUIRES[who],
    setup(ctx) {
      const { w, r } = STREAMS[who](ctx, 64);
      w.writeString(text(64));
      return () => r.readFlags();
    },
  };
}

function shmWrite(kind, bytes) {
  return {
    ...apiWrite('shm', kind, bytes),
    baselines: [[baselineId(WRITE[kind], bytes), 'time'], [originalId(WRITE[kind], bytes), 'time'], [copyId(bytes), 'time'],
      [transportId(IPC, kind, bytes), 'rate']],
  };
}

function shmRead(kind, bytes) {
  return {
    ...apiRead('shm', kind, bytes),
    baselines: [[baselineId(READ[kind], bytes), 'time'], [originalId(READ[kind], bytes), 'time'], [copyId(bytes), 'time'],
      ...(kind === 'string' ? [] : [[sliceId(kind, bytes), 'time']])],
  };
}

function shmReadFlags() {
  return { ...apiReadFlags('shm'), baselines: [['baseline readFlags', 'time'], ['original readFlags', 'time']] };
}

// ---- the original C++ addon (bench/original.js), when given ------------------------------------

function requiresOriginal() {
  const o = originalAddon.load();
  return typeof o === 'string' ? o : true;
}

/**
 * A writer and a reader of the original over a new segment of the size the module's case uses,
 * non-persistent, as the module's cases are. The original has no close(): its segment goes when
 * the objects are collected, or with the run's clean-up, which removes every name of the run.
 */
function originalStreams(ctx, bytes) {
  const o = originalAddon.load();
  const name = ctx.segmentName('original');
  const w = new o.NodeSharedMemoryWriteStream(name, segmentFor(bytes), false);
  const r = new o.NodeSharedMemoryReadStream(name, segmentFor(bytes), false);
  return { w, r };
}

const STREAMS = { shm: (ctx, bytes) => ctx.streams(segmentFor(bytes)), original: originalStreams };
const REQUIRES = { shm: undefined, original: requiresOriginal };

// ---- the baseline addon (bench/baseline): the least work an addon must do ----------------------

const TYPE_BIT = { float: 4, double: 8 };

function requiresBaseline() {
  const b = baselineAddon.load();
  return typeof b === 'string' ? b : true;
}

/** A segment mapped by the baseline addon, of the size the module's case uses; closed after the round. */
function baselineSegment(ctx, bytes) {
  const b = baselineAddon.load();
  const name = ctx.segmentName('baseline');
  const h = b.open(name, segmentFor(bytes));
  ctx.track({ close: () => b.close(h, name) });
  return { b, h };
}

function baselineWrite(kind, bytes) {
  return {
    id: baselineId(WRITE[kind], bytes),
    payload: describe(kind, bytes),
    bytes,
    requires: requiresBaseline,
    setup(ctx) {
      const { b, h } = baselineSegment(ctx, bytes);
      const value = payload(kind, bytes);
      if (kind === 'string') return () => b.writeString(h, value);
      const type = TYPE_BIT[kind];
      return () => b.writeView(h, value, type);
    },
  };
}

function baselineRead(kind, bytes) {
  return {
    id: baselineId(READ[kind], bytes),
    payload: describe(kind, bytes),
    bytes,
    requires: requiresBaseline,
    setup(ctx) {
      const { b, h } = baselineSegment(ctx, bytes);
      const value = payload(kind, bytes);
      if (kind === 'string') b.writeString(h, value);
      else b.writeView(h, value, TYPE_BIT[kind]);
      const read = READ[kind];
      return () => b[read](h);
    },
  };
}

function baselineReadFlags() {
  return {
    id: 'baseline readFlags',
    payload: 'flags byte',
    bytes: 1,
    requires: requiresBaseline,
    setup(ctx) {
      const { b, h } = baselineSegment(ctx, 64);
      b.writeString(h, text(64));
      return () => b.readFlags(h);
    },
  };
}

// One message through a stream, in one process: the writer's write, the reader's readFlags() that
// would notice it, and the reader's read. Compared with the message rate of each transport.
function shmMessage(kind, bytes) {
  return {
    id: `shm message ${TYPE_NAME[kind]} ${formatSize(bytes)}`,
    payload: describe(kind, bytes),
    bytes,
    setup(ctx) {
      const { w, r } = ctx.streams(segmentFor(bytes));
      const value = payload(kind, bytes);
      const write = WRITE[kind];
      const read = READ[kind];
      return () => {
        w[write](value);
        r.readFlags();
        r[read]();
      };
    },
    baselines: TRANSPORTS.map(([name]) => [transportId(name, kind, bytes), 'rate']),
  };
}

function bufferCopy(bytes) {
  return {
    id: copyId(bytes),
    payload: formatSize(bytes),
    bytes,
    setup() {
      // Source and destination are cut from one allocation, half a page apart. Two separate
      // allocations can land a multiple of 4 KiB apart, and the CPU then stalls the copy on false
      // store-to-load dependencies ("4K aliasing"): up to 16x slower here (64 KiB). The floor
      // should not depend on where malloc put the two buffers.
      const dstAt = Math.ceil(bytes / 4096) * 4096 + 2048;
      const pool = new ArrayBuffer(dstAt + bytes);
      const src = Buffer.from(pool, 0, bytes).fill(0x5a);
      const dst = Buffer.from(pool, dstAt, bytes);
      return () => src.copy(dst);
    },
  };
}

// A new typed array holding a copy: what readFloatArray/readDoubleArray must do, without shm.
function typedSlice(kind, bytes) {
  return {
    id: sliceId(kind, bytes),
    payload: describe(kind, bytes),
    bytes,
    setup() {
      const src = payload(kind, bytes);
      return () => src.slice();
    },
  };
}

// Pipelined one-way message rate through a transport to another process or thread.
function transportRate([name, stringPeer, typedPeer], kind, bytes) {
  return {
    id: transportId(name, kind, bytes),
    payload: describe(kind, bytes),
    bytes,
    async run(ctx, budgetNs) {
      const peer = await ctx.peer(kind === 'string' ? stringPeer : typedPeer);
      return peer.rate(payload(kind, bytes), budgetNs);
    },
  };
}

// ---- cross-process round trips ---------------------------------------------------------------

// Two segments, one per direction. Each side spins on its input segment's readFlags() until
// kMemoryChanged toggles, reads the message, and answers on the other segment (bench/peer.js is
// the other side). Both sides block their event loops while it runs, as a polling reader does.
function shmPingPong(bytes) {
  return {
    id: `shm ping-pong ${formatSize(bytes)}`,
    payload: `string ${formatSize(bytes)}`,
    bytes,
    latency: true,
    async run(ctx, budgetNs) {
      const { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, kMemoryChanged } = ctx.lib;
      const peer = await ctx.peer('ipc');
      const input = ctx.segmentName('pong');
      const output = ctx.segmentName('ping');
      const size = segmentFor(bytes);
      const w = ctx.track(new NodeSharedMemoryWriteStream(output, size, false));
      const message = text(bytes);
      // The peer needs the count up front; aim for the budget at ~20 µs a round trip.
      const count = Math.max(200, Math.min(50000, Math.round(budgetNs / 20000)));
      const deadline = Date.now() + 30000;
      let samples = null;
      let failure = null;
      await peer.control({ ctl: 'shm-pingpong', input: output, output: input, size, count, deadlineMs: 30000 }, () => {
        try {
          const r = ctx.track(new NodeSharedMemoryReadStream(input));
          samples = new Float64Array(count);
          let seen = r.readFlags() & kMemoryChanged;
          let answer = '';
          for (let i = 0; i < count; i++) {
            const t0 = ctx.now();
            w.writeString(message);
            for (let spins = 1; ; spins++) {
              const f = r.readFlags() & kMemoryChanged;
              if (f !== seen) {
                seen = f;
                break;
              }
              if ((spins & 0xffff) === 0 && Date.now() > deadline) throw new Error(`no answer to message ${i}`);
            }
            answer = r.readString();
            samples[i] = ctx.now() - t0;
          }
          if (answer !== message) throw new Error('the peer answered with a different message');
        } catch (err) {
          failure = err;
        }
      });
      if (failure) throw failure;
      return { samples };
    },
    baselines: TRANSPORTS.map(([name]) => [`${name} ping-pong ${formatSize(bytes)}`, 'time']),
  };
}

// The same round trip driven by 'change' events on both sides instead of polling: write, the
// peer's event, its answer, our event. One way is about half of it.
function shmEventPingPong(bytes) {
  return {
    id: `shm change-event ping-pong ${formatSize(bytes)}`,
    payload: `string ${formatSize(bytes)}`,
    bytes,
    latency: true,
    requires: (lib) => typeof lib.NodeSharedMemoryReadStream.prototype.on === 'function' ||
      "NodeSharedMemoryReadStream has no 'change' event in this build",
    async run(ctx, budgetNs) {
      const { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream } = ctx.lib;
      const peer = await ctx.peer('ipc');
      const input = ctx.segmentName('ev-pong');
      const output = ctx.segmentName('ev-ping');
      const size = segmentFor(bytes);
      const w = ctx.track(new NodeSharedMemoryWriteStream(output, size, false));
      const message = text(bytes);
      const count = Math.max(100, Math.min(20000, Math.round(budgetNs / 100000)));
      const samples = new Float64Array(count);
      let start = null; // called once the peer listens
      let timer = null;
      const ours = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no change event within 30 s')), 30000);
        start = () => {
          try {
            const r = ctx.track(new NodeSharedMemoryReadStream(input));
            let i = 0;
            let t0 = 0;
            r.on('error', reject);
            r.on('change', (value) => {
              samples[i++] = ctx.now() - t0;
              if (i < count) {
                t0 = ctx.now();
                w.writeString(message);
              } else if (value !== message) {
                reject(new Error('the peer answered with a different message'));
              } else {
                resolve();
              }
            });
            t0 = ctx.now();
            w.writeString(message);
          } catch (err) {
            reject(err);
          }
        };
      });
      const theirs = peer.control({ ctl: 'shm-event-pingpong', input: output, output: input, size, count }, start);
      try {
        await Promise.all([ours, theirs]);
      } finally {
        clearTimeout(timer);
      }
      return { samples };
    },
    baselines: [[shmPingPong(bytes).id, 'time'],
      ...TRANSPORTS.map(([name]) => [`${name} ping-pong ${formatSize(bytes)}`, 'time'])],
  };
}

function transportPingPong([name, stringPeer], bytes) {
  return {
    id: `${name} ping-pong ${formatSize(bytes)}`,
    payload: `string ${formatSize(bytes)}`,
    bytes,
    latency: true,
    async run(ctx, budgetNs) {
      const peer = await ctx.peer(stringPeer);
      return peer.echo(text(bytes), budgetNs, 50);
    },
  };
}

// ---- the lists -------------------------------------------------------------------------------

// The payloads of the table.
const HEADLINE = [
  ['string', 64], ['string', 4 * KiB],
  ['float', 64], ['float', MiB],
  ['double', 128], ['double', MiB],
];

// The original addon's operations measured against this module's (issue 12: each >= 1.05x).
const ORIGINAL_CASES = [...HEADLINE, ['string', 16 * KiB], ['string', 64 * KiB]];

// Payload sizes of the throughput chart (bench/throughput.svg), 64 B to 1 MiB.
const SWEEP = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB];

// Series of the chart: label -> case id for a payload size.
const CHART_SERIES = [
  ['shm writeString', (b) => shmWrite('string', b).id],
  ['shm writeFloatArray', (b) => shmWrite('float', b).id],
  ['shm readFloatArray', (b) => shmRead('float', b).id],
  ['baseline addon writeFloatArray', (b) => baselineId('writeFloatArray', b)],
  ['Buffer.copy', (b) => copyId(b)],
  ['child_process IPC (string)', (b) => transportId(IPC, 'string', b)],
];

// Cases of APIs added after the first release: each is skipped, with a note, in a build that
// does not have its API yet.
const LATER = [
  {
    id: `shm readInto ${formatSize(MiB)}`,
    payload: describe('float', MiB),
    bytes: MiB,
    requires: (lib) => typeof lib.NodeSharedMemoryReadStream.prototype.readInto === 'function' ||
      'NodeSharedMemoryReadStream#readInto() is not in this build',
    setup(ctx) {
      const { w, r } = ctx.streams(segmentFor(MiB));
      w.writeFloatArray(payload('float', MiB));
      const target = new Float32Array(MiB / 4);
      return () => r.readInto(target);
    },
    baselines: [[copyId(MiB), 'time']],
  },
  {
    id: 'shm queue enqueue+dequeue 64 B',
    payload: 'string 64 B',
    bytes: 64,
    requires: (lib) => (queueClass(lib) ? true : 'no queue class (with enqueue and dequeue) in this build'),
    setup(ctx) {
      const Queue = queueClass(ctx.lib);
      // (name, capacity, maxMessageSize, persistent): a non-persistent queue of 64 slots.
      const q = ctx.track(new Queue(ctx.segmentName('queue'), 64, 64, false));
      const message = text(64);
      return () => {
        q.enqueue(message);
        q.dequeue();
      };
    },
    baselines: [[transportId(IPC, 'string', 64), 'rate']],
  },
  {
    // A producer in another process (bench/peer.js queueProduce) enqueues as fast as it can; this
    // process dequeues, spinning while the queue is empty. Messages per second, against the
    // message rate of child_process IPC in the same run.
    id: 'shm queue cross-process 64 B',
    payload: 'string 64 B',
    bytes: 64,
    requires: (lib) => (queueClass(lib) ? true : 'no queue class (with enqueue and dequeue) in this build'),
    async run(ctx, budgetNs) {
      const Queue = queueClass(ctx.lib);
      const peer = await ctx.peer('ipc');
      const name = ctx.segmentName('xqueue');
      const q = ctx.track(new Queue(name, 256, 64, false));
      const count = Math.max(10000, Math.min(5e6, Math.round(budgetNs / 300)));
      const deadline = Date.now() + 60000;
      let result = null;
      const consume = () => {
        const t0 = ctx.now();
        let spins = 0;
        for (let got = 0; got < count;) {
          if (q.dequeue() !== undefined) {
            got++;
          } else if (++spins === 1 << 16) {
            spins = 0;
            if (Date.now() > deadline) throw new Error(`queue consumer: message ${got} of ${count} did not come`);
          }
        }
        result = { ops: count, ns: ctx.now() - t0 };
      };
      await peer.control({ ctl: 'queue-produce', name, message: text(64), count, deadlineMs: 60000 }, consume);
      return result;
    },
    baselines: [[transportId(IPC, 'string', 64), 'rate']],
  },
];

function queueClass(lib) {
  return Object.values(lib).find((v) => typeof v === 'function' && v.prototype &&
    typeof v.prototype.enqueue === 'function' && typeof v.prototype.dequeue === 'function');
}

/** Every case, in the order it runs and prints; ids are unique (a case wanted twice runs once). */
function allCases() {
  const cases = new Map();
  const add = (c) => { if (!cases.has(c.id)) cases.set(c.id, c); };
  for (const [kind, bytes] of HEADLINE) {
    add(shmWrite(kind, bytes));
    add(shmRead(kind, bytes));
    add(shmMessage(kind, bytes));
  }
  add(shmReadFlags());
  // Strings from 4 KiB to 64 KiB, which issue 12 compares with the baseline addon too.
  for (const bytes of [16 * KiB, 64 * KiB]) {
    add(shmWrite('string', bytes));
    add(shmRead('string', bytes));
  }
  add(shmPingPong(64));
  add(shmEventPingPong(64));
  for (const c of LATER) add(c);
  for (const c of require('./event-cases').eventCases()) add(c);
  for (const [kind, bytes] of HEADLINE) {
    add(bufferCopy(bytes));
    if (kind !== 'string') add(typedSlice(kind, bytes));
    for (const t of TRANSPORTS) add(transportRate(t, kind, bytes));
  }
  for (const t of TRANSPORTS) add(transportPingPong(t, 64));
  for (const [kind, bytes] of HEADLINE) {
    add(baselineWrite(kind, bytes));
    add(baselineRead(kind, bytes));
  }
  for (const bytes of [16 * KiB, 64 * KiB]) {
    add(baselineWrite('string', bytes));
    add(baselineRead('string', bytes));
    add(bufferCopy(bytes));
  }
  add(baselineReadFlags());
  for (const [kind, bytes] of ORIGINAL_CASES) {
    add(apiWrite('original', kind, bytes));
    add(apiRead('original', kind, bytes));
  }
  add(apiReadFlags('original'));
  for (const bytes of SWEEP) {
    add(shmWrite('string', bytes));
    add(shmWrite('float', bytes));
    add(shmRead('float', bytes));
    add(baselineWrite('float', bytes));
    add(bufferCopy(bytes));
    add(transportRate(TRANSPORTS[0], 'string', bytes));
  }
  return [...cases.values()];
}

// ---- targets (from the issue) ----------------------------------------------------------------

// value(results) returns the measured figure; results.get(id) is a case's best round.
const rate = (res, id) => res.get(id) && res.get(id).opsPerSec;
const time = (res, id, baseId) => res.get(id) && res.get(baseId) && timeRatio(res.get(id), res.get(baseId));
const p50Ratio = (res, id, baseId) => res.get(id) && res.get(baseId) && res.get(id).p50 / res.get(baseId).p50;
// A figure a case reported besides its rate (bench/event-cases.js), as a number.
const figure = (res, id, what) => {
  const f = res.get(id) && res.get(id).figures && res.get(id).figures[what];
  return f === undefined ? undefined : parseFloat(f);
};
const QUIET_ONE_WAY = "shm 'change' one-way, a write every 5 ms, 64 B";
const idleId = (n) => `shm ${n} idle 'change' listener${n > 1 ? 's' : ''}: latency of a write`;
const unwokenId = (ms) => `shm 'change' of a writer that wakes nobody, a write every ${ms} ms`;
const speed = (res, id, baseId) => time(res, id, baseId) && 1 / time(res, id, baseId);
const TARGETS = [
  {
    text: '64 B writeString >= 8 M ops/s',
    value: (res) => rate(res, 'shm writeString 64 B'), unit: 'ops/s', atLeast: 8e6,
  },
  {
    text: '64 B readString >= 8 M ops/s',
    value: (res) => rate(res, 'shm readString 64 B'), unit: 'ops/s', atLeast: 8e6,
  },
  {
    text: '64 B stream messages >= 40x child_process IPC message rate',
    value: (res) => rate(res, 'shm message string 64 B') / rate(res, transportId(IPC, 'string', 64)),
    unit: 'x', atLeast: 40,
  },
  {
    text: '1 MiB writeFloatArray within 1.2x the time of Buffer.copy 1 MiB',
    value: (res) => time(res, 'shm writeFloatArray 1 MiB', copyId(MiB)), unit: 'x', atMost: 1.2,
  },
  {
    text: '1 MiB writeDoubleArray within 1.2x the time of Buffer.copy 1 MiB',
    value: (res) => time(res, 'shm writeDoubleArray 1 MiB', copyId(MiB)), unit: 'x', atMost: 1.2,
  },
  {
    text: '1 MiB readFloatArray (new array) within 3x the time of Buffer.copy 1 MiB',
    value: (res) => time(res, 'shm readFloatArray 1 MiB', copyId(MiB)), unit: 'x', atMost: 3,
  },
  {
    text: '1 MiB readDoubleArray (new array) within 3x the time of Buffer.copy 1 MiB',
    value: (res) => time(res, 'shm readDoubleArray 1 MiB', copyId(MiB)), unit: 'x', atMost: 3,
  },
  {
    text: 'ping-pong round trip p50 < 100 µs',
    value: (res) => res.get('shm ping-pong 64 B') && res.get('shm ping-pong 64 B').p50 / 1000,
    unit: 'µs', below: 100,
  },
  // Issue 12: the speed of each operation as a multiple of the baseline addon's in the same run
  // (its time / ours: higher is better), and small typed reads in absolute time.
  ...[
    ['writeString', 64, 0.8], ['readString', 64, 0.8], ['writeFloatArray', 64, 0.8], ['readFloatArray', 64, 0.8],
    ...[4 * KiB, 16 * KiB, 64 * KiB].flatMap((b) => [['writeString', b, 0.95], ['readString', b, 0.95]]),
    ['writeFloatArray', MiB, 0.97], ['writeDoubleArray', MiB, 0.97],
  ].map(([op, bytes, atLeast]) => ({
    text: `${op} ${formatSize(bytes)} >= ${atLeast}x the speed of the baseline addon`,
    value: (res) => speed(res, `shm ${op} ${formatSize(bytes)}`, baselineId(op, bytes)), unit: 'x', atLeast,
  })),
  ...[...ORIGINAL_CASES.flatMap(([kind, bytes]) => [[WRITE[kind], bytes], [READ[kind], bytes]]), ['readFlags']]
    .map(([op, bytes]) => {
      const [id, base] = bytes === undefined ? [`shm ${op}`, `original ${op}`] : [`shm ${op} ${formatSize(bytes)}`, originalId(op, bytes)];
      return {
        text: `${id.slice(4)} >= 1.05x the speed of the original 0.0.9 addon`,
        value: (res) => speed(res, id, base), unit: 'x', atLeast: 1.05,
      };
    }),
  {
    text: 'queue enqueue+dequeue 64 B >= 2x 636 k pairs/s (1.27 M)',
    value: (res) => rate(res, 'shm queue enqueue+dequeue 64 B'), unit: 'ops/s', atLeast: 2 * 636e3,
  },
  {
    text: 'queue across two processes >= 10x child_process IPC messages',
    value: (res) => rate(res, 'shm queue cross-process 64 B') / rate(res, transportId(IPC, 'string', 64)),
    unit: 'x', atLeast: 10,
  },
  {
    text: "'change' ping-pong p50 <= the Unix socket's ping-pong p50",
    value: (res) => p50Ratio(res, 'shm change-event ping-pong 64 B', 'Unix socket ping-pong 64 B'), unit: 'x', atMost: 1,
  },
  {
    text: "quiet one-way 'change' p50 <= a Unix socket message's p50 (same run)",
    value: (res) => figure(res, QUIET_ONE_WAY, 'p50 / socket p50'), unit: 'x', atMost: 1,
  },
  {
    text: "quiet one-way receiver CPU per event <= the socket's per message",
    value: (res) => figure(res, QUIET_ONE_WAY, 'CPU per event / socket'), unit: 'x', atMost: 1,
  },
  {
    text: "1 idle 'change' listener <= 0.5 % of a core",
    value: (res) => figure(res, idleId(1), 'idle CPU'), unit: '%', atMost: 0.5,
  },
  {
    text: "200 idle 'change' listeners on 200 segments <= 2 % of a core",
    value: (res) => figure(res, idleId(200), 'idle CPU'), unit: '%', atMost: 2,
  },
  {
    text: 'threads added by 1000 idle listeners <= 8 (one waiter per 127 watches)',
    value: (res) => figure(res, idleId(1000), 'threads added'), unit: '', atMost: 8,
  },
  ...[5, 200].map((ms) => ({
    text: `a writer that wakes nobody (C++), a write every ${ms} ms: noticed in < 1.15 ms p50`,
    value: (res) => res.get(unwokenId(ms)) && res.get(unwokenId(ms)).p50 / 1e6, unit: 'ms', below: 1.15,
  })),
  {
    text: 'readFloatArray of 16 floats <= 250 ns',
    value: (res) => rate(res, 'shm readFloatArray 64 B') && 1e9 / rate(res, 'shm readFloatArray 64 B'),
    unit: 'ns', atMost: 250,
  },
];

module.exports = { allCases, TARGETS, CHART_SERIES, SWEEP };
