// Event cases of issue 12 (targets 3, 4 and 7): what a 'change' listener costs when little happens.
//   - quiet one-way: a writer process writes 64 B every 5 ms, a listener here; the same stream of
//     messages over a Unix socket, in alternating phases of the same run, is the baseline;
//   - idle watches: 1, 10, 100, 1000 listeners on as many segments, nobody writing: CPU and threads,
//     then the latency of a write to one of them;
//   - a writer that wakes nobody (the C++ library): the revision stored plainly, no futex wake.
// Each case reports latency samples (p50, p99) and its other figures (CPU, threads, the baseline's
// figures from the same run) in `figures`. Run as a child (`node event-cases.js child`), this file
// is the writer process.
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { formatNs } = require('./harness');

const PERIOD_MS = 5;
const MESSAGE = 64;

const stamp = () => String(process.hrtime.bigint()).padEnd(MESSAGE, ' ');
const since = (text) => Number(process.hrtime.bigint() - BigInt(text.trim()));
const threads = () => (process.platform === 'linux' ? fs.readdirSync('/proc/self/task').length : NaN);
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percent = (ns, wallNs) => `${((100 * ns) / wallNs).toFixed(2)} % of a core`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

// ---- the writer process ------------------------------------------------------------------------

function child() {
  process.on('message', (m) => {
    const done = () => process.send({ done: true });
    if (m.mode === 'shm') {
      const lib = require('..');
      const w = new lib.NodeSharedMemoryWriteStream(m.name, 4096, true, { reset: false });
      let left = m.count;
      const timer = setInterval(() => {
        w.writeString(stamp());
        if (--left === 0) {
          clearInterval(timer);
          w.close();
          done();
        }
      }, PERIOD_MS);
    } else if (m.mode === 'socket') {
      const s = net.connect(m.path, () => {
        s.setNoDelay(true);
        let left = m.count;
        const timer = setInterval(() => {
          s.write(stamp());
          if (--left === 0) {
            clearInterval(timer);
            s.end(done);
          }
        }, PERIOD_MS);
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- the cases ---------------------------------------------------------------------------------

let writer = null;
function writerProcess() {
  if (!writer) {
    writer = fork(__filename, ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    writer.unref();
    writer.channel.unref();
  }
  return writer;
}

function command(m) {
  const w = writerProcess();
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`event writer exited (code ${code})`));
    w.once('exit', onExit);
    w.once('message', () => {
      w.removeListener('exit', onExit);
      resolve();
    });
    w.send(m);
  });
}

// One phase: `count` messages of the writer process, their latencies and this process's CPU.
async function shmPhase(ctx, count) {
  const name = ctx.segmentName('quiet');
  const own = ctx.track(new ctx.lib.NodeSharedMemoryWriteStream(name, 4096, false));
  const r = ctx.track(new ctx.lib.NodeSharedMemoryReadStream(name));
  const samples = [];
  r.on('change', (value) => samples.push(since(value)));
  await delay(5);
  const c0 = cpuNs();
  await command({ mode: 'shm', name, count });
  await delay(2 * PERIOD_MS);
  const cpu = cpuNs() - c0;
  r.close();
  own.close();
  return { samples, cpu };
}

async function socketPhase(count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nlsm-ev-'));
  const file = path.join(dir, 's');
  const samples = [];
  const server = net.createServer((s) => {
    let pending = '';
    s.on('data', (chunk) => {
      pending += chunk;
      while (pending.length >= MESSAGE) {
        samples.push(since(pending.slice(0, MESSAGE)));
        pending = pending.slice(MESSAGE);
      }
    });
  });
  await new Promise((resolve) => server.listen(file, resolve));
  try {
    const c0 = cpuNs();
    await command({ mode: 'socket', path: file, count });
    await delay(2 * PERIOD_MS);
    return { samples, cpu: cpuNs() - c0 };
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function quietOneWay() {
  return {
    id: `shm 'change' one-way, a write every ${PERIOD_MS} ms, ${MESSAGE} B`,
    payload: `string ${MESSAGE} B`,
    bytes: MESSAGE,
    latency: true,
    requires: (lib) => process.platform !== 'win32' || 'the writer process stamps with a clock shared by processes',
    async run(ctx, budgetNs) {
      const count = Math.max(20, Math.min(400, Math.round(budgetNs / 1e6 / PERIOD_MS / 2)));
      const shm = { samples: [], cpu: 0, n: 0 };
      const sock = { samples: [], cpu: 0, n: 0 };
      // Alternating phases, so that the machine's load falls on both alike.
      for (let phase = 0; phase < 2; phase++) {
        const a = await shmPhase(ctx, count / 2);
        shm.samples.push(...a.samples);
        shm.cpu += a.cpu;
        shm.n += a.samples.length;
        const b = await socketPhase(count / 2);
        sock.samples.push(...b.samples);
        sock.cpu += b.cpu;
        sock.n += b.samples.length;
      }
      const p50 = median(shm.samples);
      const socketP50 = median(sock.samples);
      return {
        samples: shm.samples,
        figures: {
          'Unix socket p50 (same run)': formatNs(socketP50),
          'p50 / socket p50': (p50 / socketP50).toFixed(2),
          'receiver CPU per event': formatNs(shm.cpu / shm.n),
          'socket receiver CPU per message': formatNs(sock.cpu / sock.n),
          'CPU per event / socket': (shm.cpu / shm.n / (sock.cpu / sock.n)).toFixed(2),
        },
      };
    },
  };
}

// Idle listeners: CPU over a quiet stretch (after the pollers have settled), threads added, then the
// latency of writes (woken) to listened segments chosen in turn.
function idleWatches(n) {
  return {
    id: `shm ${n} idle 'change' listener${n > 1 ? 's' : ''}: latency of a write`,
    payload: `string ${MESSAGE} B`,
    bytes: MESSAGE,
    latency: true,
    async run(ctx, budgetNs) {
      const { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream } = ctx.lib;
      // The process's own idle cost first (what earlier cases left running settles meanwhile).
      await delay(ctx.quick ? 10 : 500);
      const r0 = cpuNs();
      const rt0 = process.hrtime.bigint();
      await delay(ctx.quick ? 10 : 1000);
      const reference = percent(cpuNs() - r0, Number(process.hrtime.bigint() - rt0));
      const threads0 = threads();
      const writers = [];
      let pending = null;
      for (let i = 0; i < n; i++) {
        const name = ctx.segmentName('idle');
        writers.push(ctx.track(new NodeSharedMemoryWriteStream(name, 4096, false)));
        const r = ctx.track(new NodeSharedMemoryReadStream(name));
        r.on('change', (value) => {
          if (pending) pending(since(value));
        });
      }
      await delay(ctx.quick ? 50 : 1500);
      const wall = ctx.quick ? 50e6 : 2e9;
      const c0 = cpuNs();
      const t0 = process.hrtime.bigint();
      await delay(wall / 1e6);
      const idle = cpuNs() - c0;
      const idleWall = Number(process.hrtime.bigint() - t0);
      const added = threads() - threads0;
      const samples = [];
      const count = ctx.quick ? 10 : 200;
      for (let i = 0; i < count; i++) {
        const got = new Promise((resolve) => { pending = resolve; });
        writers[(i * 7919) % n].writeString(stamp());
        samples.push(await got);
        await delay(1);
      }
      return {
        samples,
        figures: {
          'idle CPU': percent(idle, idleWall),
          'the same process before the listeners': reference,
          'threads added': String(added),
        },
      };
    },
  };
}

// A writer that wakes nobody: the revision stored plainly into the segment file, `every` ms apart,
// as the C++ library writes. The poll tick notices it; idle CPU is measured over the same stretch.
function unwokenWriter(everyMs) {
  return {
    id: `shm 'change' of a writer that wakes nobody, a write every ${everyMs} ms`,
    payload: 'revision word',
    bytes: 4,
    latency: true,
    requires: () => {
      try {
        require('../test/helpers').segmentFile('probe');
        return true;
      } catch (err) {
        return `segment bytes are not reachable here: ${err.message}`;
      }
    },
    async run(ctx, budgetNs) {
      const { segmentFile } = require('../test/helpers');
      const name = ctx.segmentName('cpp');
      ctx.track(new ctx.lib.NodeSharedMemoryWriteStream(name, 4096, false));
      const r = ctx.track(new ctx.lib.NodeSharedMemoryReadStream(name));
      const fd = fs.openSync(segmentFile(name), 'r+');
      try {
        let seen = null;
        r.on('change', () => { if (seen) seen(process.hrtime.bigint()); });
        await delay(ctx.quick ? 20 : 1000);
        const count = ctx.quick ? 3 : Math.max(10, Math.min(100, Math.round(budgetNs / 1e6 / everyMs)));
        const samples = [];
        const word = Buffer.alloc(4);
        let revision = 100;
        const c0 = cpuNs();
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < count; i++) {
          await delay(everyMs);
          const got = new Promise((resolve) => { seen = resolve; });
          word.writeUInt32LE(++revision);
          const written = process.hrtime.bigint();
          fs.writeSync(fd, word, 0, 4, 4);
          samples.push(Number((await got) - written));
        }
        return {
          samples,
          figures: { 'receiver CPU': percent(cpuNs() - c0, Number(process.hrtime.bigint() - t0)) },
        };
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

function eventCases() {
  return [quietOneWay(), ...[1, 10, 100, 200, 1000].map(idleWatches), unwokenWriter(5), unwokenWriter(200)];
}

if (require.main === module && process.argv[2] === 'child') child();

module.exports = { eventCases };
