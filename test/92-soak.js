// Soak (in a child with --expose-gc, test/fixtures/robust-soak.js): a million writeString/readString
// cycles, ten thousand writer+reader open/close cycles, a thousand SharedMemory
// create/buffer/close cycles and a thousand on('change')/off cycles. After each phase (and gc())
// the resident set has not grown beyond the stated bound, /proc/self/fd holds as many entries as
// before, and /proc/self/maps as many segment mappings; no watcher is left polling. The soak reads
// /proc/self, so its tests run on Linux only.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { useSegments, segmentExists, linuxOnly } = require('./helpers');

const SOAK_SCRIPT = path.join(__dirname, 'fixtures', 'robust-soak.js');
const RSS_BOUND_MB = 20;
const IDLE_CPU_BOUND_MS = 60; // CPU used in 300 ms of idling, beyond what the process used before
const MB = 1024 * 1024;
const SOAK_READS_PROC = 'the soak counts descriptors, mappings and threads in /proc/self';

function runSoak(name, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = fork(SOAK_SCRIPT, [name], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let message = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the soak did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => { message = m; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!message) reject(new Error(`robust-soak.js exited (code ${code}, signal ${signal}) without a result`));
      else if (message.error) reject(new Error(`robust-soak.js: ${message.error}`));
      else resolve(message.result);
    });
  });
}

const mb = (bytes) => (bytes / MB).toFixed(1);

describe(`92 soak (child with --expose-gc): RSS growth < ${RSS_BOUND_MB} MB, no fd or mapping leaked`, function () {
  this.timeout(60000);
  const res = useSegments();
  let soak;
  let name;

  before(async () => {
    if (process.platform !== 'linux') return; // each test of the soak says why it is skipped
    name = res.name('soak');
    for (const suffix of ['rw', 'oc', 'shm', 'ev']) res.adopt(`${name}-${suffix}`);
    soak = await runSoak(name, 50000);
    const b = soak.baseline;
    console.log(`      soak baseline: rss ${mb(b.rss)} MB, ${b.fds} fds, ${b.maps} segment mappings, ${b.threads} threads`);
    for (const p of soak.phases) {
      console.log(`      soak ${p.phase}: ${p.cycles} cycles in ${p.ms} ms; rss ${mb(p.before.rss)} -> ${mb(p.after.rss)} MB ` +
        `(growth from baseline ${mb(p.after.rss - b.rss)} MB), heap ${mb(p.after.heapUsed)} MB, external ${mb(p.after.external)} MB, ` +
        `fds ${p.before.fds} -> ${p.after.fds}, segment mappings ${p.before.maps} -> ${p.after.maps}, threads ${p.after.threads}`);
    }
    console.log(`      soak idle CPU in 300 ms: ${soak.idleCpuMs.before.toFixed(1)} ms before, ${soak.idleCpuMs.after.toFixed(1)} ms after`);
  });

  after(() => res.cleanup());

  const checks = [
    ['write/read', 1000000, '1 000 000 writeString + readString cycles'],
    ['open/close', 10000, '10 000 open/close cycles of a non-persistent writer + reader'],
    ['SharedMemory create/buffer/close', 1000, '1000 SharedMemory create/buffer/close cycles'],
    ['on/off change', 1000, "1000 on('change')/off cycles"],
  ];
  for (const [phase, cycles, title] of checks) {
    it(`${title}: RSS growth < ${RSS_BOUND_MB} MB, fds and segment mappings back to the baseline`, function () {
      linuxOnly(this, SOAK_READS_PROC);
      const p = soak.phases.find((x) => x.phase === phase);
      assert.ok(p, `no result for ${phase}`);
      assert.strictEqual(p.cycles, cycles);
      const growth = p.after.rss - soak.baseline.rss;
      assert.ok(growth < RSS_BOUND_MB * MB, `RSS grew by ${mb(growth)} MB (bound ${RSS_BOUND_MB} MB)`);
      assert.strictEqual(p.after.fds, soak.baseline.fds,
        `file descriptors leaked: ${JSON.stringify(p.after.fdList)} after, ${JSON.stringify(soak.baseline.fdList)} before`);
      assert.strictEqual(p.after.maps, soak.baseline.maps, 'segment mappings leaked');
      assert.ok(p.after.rounds >= 0, 'fds or mappings never came back to the baseline under gc()');
    });
  }

  it(`no watcher is left running after the on/off cycles (idle CPU within ${IDLE_CPU_BOUND_MS} ms per 300 ms of what it was), threads bounded`, function () {
    linuxOnly(this, SOAK_READS_PROC);
    const extra = soak.idleCpuMs.after - soak.idleCpuMs.before;
    assert.ok(extra < IDLE_CPU_BOUND_MS, `idle CPU went from ${soak.idleCpuMs.before} to ${soak.idleCpuMs.after} ms`);
    const last = soak.phases[soak.phases.length - 1].after;
    assert.ok(last.threads <= soak.baseline.threads + 4, `threads went from ${soak.baseline.threads} to ${last.threads}`);
  });

  // Subscribing and then writing at once, over and over: the write must be reported. (The engine's
  // watcher once took its starting value only when its goroutine first ran, so a write made before
  // that became the starting value and was never reported: 40-48 of 50 were missed.)
  const TRIALS = 50;
  it(`${TRIALS} on('change') + immediate write cycles: every write is delivered as a 'change' event`, async () => {
    const n = res.name('subscribe-write');
    const writer = res.writer(n, 4096, false);
    const reader = res.reader(n);
    let missed = 0;
    for (let i = 0; i < TRIALS; i++) {
      const listener = { fn: null };
      const got = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 100);
        listener.fn = (v) => { clearTimeout(timer); resolve(v); };
        reader.on('change', listener.fn);
      });
      writer.writeString(`value ${i}`);
      if (await got !== `value ${i}`) missed++;
      reader.off('change', listener.fn);
    }
    console.log(`      subscribe then write: ${missed} of ${TRIALS} 'change' events missed`);
    assert.strictEqual(missed, 0, `${missed} of ${TRIALS} writes made right after on('change') never produced a 'change' event`);
  });

  it(`${TRIALS} waitForChange() + immediate write cycles: every wait resolves with the write`, async () => {
    const n = res.name('wait-write');
    const writer = res.writer(n, 4096, false);
    const reader = res.reader(n);
    let missed = 0;
    const codes = new Set();
    for (let i = 0; i < TRIALS; i++) {
      reader.readString(); // nothing unread: the wait is for the next write
      const wait = reader.waitForChange({ timeout: 100 });
      writer.writeString(`value ${i}`);
      const got = await wait.catch((err) => { codes.add(err.code); return null; });
      if (got !== `value ${i}`) missed++;
    }
    console.log(`      wait then write: ${missed} of ${TRIALS} waitForChange() calls missed the write (${[...codes].join(', ') || 'no error'})`);
    assert.strictEqual(missed, 0, `${missed} of ${TRIALS} waitForChange() calls missed the write that followed them (${[...codes].join(', ')})`);
  });

  it('every soak segment was removed by its non-persistent streams', function () {
    linuxOnly(this, SOAK_READS_PROC);
    for (const suffix of ['rw', 'oc', 'shm', 'ev']) assert.ok(!segmentExists(`${name}-${suffix}`), `${name}-${suffix} left`);
  });
});
