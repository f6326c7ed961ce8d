// Timing and statistics for the benchmark: how a synchronous operation is measured, how rounds are
// reduced to one figure, and how figures are printed.
'use strict';

/** Monotonic time in nanoseconds, as a Number (exact for 104 days of uptime). */
function now() {
  return Number(process.hrtime.bigint());
}

// Each measured operation gets a loop compiled for it alone, so that V8 sees one callee at the
// call site and inlines it, as it would in an application's own loop. A loop shared by every case
// would turn megamorphic and add a call's cost to the fast cases only.
function makeLoop() {
  // eslint-disable-next-line no-new-func
  return new Function('op', 'n', '"use strict"; for (let i = 0; i < n; i++) op();');
}

// An operation slower than this is timed one call at a time, which gives latency percentiles
// (the timer's ~50 ns then costs a few percent at most). Faster ones are timed in batches only.
const PER_OP_TIMING_NS = 2000;
// Batches are short so that most of them run between two preemptions on a busy machine.
const BATCH_NS = 500e3;

/**
 * Runs op() repeatedly for about budgetNs after a warm-up that also sizes the batches. Returns
 * { ops, ns } and either batches (ns per operation of each batch) or, for slow operations,
 * samples (ns of each call).
 */
function measureSync(op, budgetNs) {
  const loop = makeLoop();
  // Warm-up for a quarter of the budget, doubling the batch until one lasts batchNs; the last
  // batch, run warm, says how long a call takes.
  const batchNs = Math.min(BATCH_NS, budgetNs / 8);
  const warmNs = budgetNs / 4;
  let n = 1;
  let t = 0;
  let spent = 0;
  for (;;) {
    const t0 = now();
    loop(op, n);
    t = now() - t0;
    spent += t;
    if (t >= batchNs && spent >= warmNs) break;
    if (t < batchNs && n < 1 << 24) n *= 2;
  }
  const perOp = t / n;
  if (perOp >= PER_OP_TIMING_NS) {
    const samples = [];
    const start = now();
    let end = start;
    while (end - start < budgetNs || samples.length < 5) {
      const t0 = now();
      op();
      end = now();
      samples.push(end - t0);
    }
    return { ops: samples.length, ns: end - start, samples };
  }
  n = Math.max(1, Math.round(batchNs / perOp));
  const batches = [];
  const start = now();
  let end = start;
  do {
    const t0 = now();
    loop(op, n);
    end = now();
    batches.push((end - t0) / n);
  } while (end - start < budgetNs);
  return { ops: batches.length * n, ns: end - start, batches };
}

/** The q-quantile (0..1) of sorted numbers, nearest rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ascending = (a, b) => a - b;

/**
 * Reduces one round's raw measurement to { opsPerSec, p50, p99 }, discounting preemption by
 * other processes (the machines are shared):
 * - batches: the median batch, so a minority of preempted batches does not count;
 * - samples: the mean of all but the slowest 1% of calls, which keeps the garbage collections an
 *   operation causes (a new 1 MiB array every call) but not a stray descheduling;
 * - neither (a transport's pipelined rate): operations over elapsed time.
 * Round-trip samples (no ops given) drop their first few (warm-up) first.
 */
function summarize(raw) {
  const out = { opsPerSec: (raw.ops / raw.ns) * 1e9, p50: NaN, p99: NaN };
  if (raw.batches && raw.batches.length >= 3) {
    out.opsPerSec = 1e9 / quantile(Array.from(raw.batches).sort(ascending), 0.5);
  }
  if (raw.samples) {
    let samples = Array.from(raw.samples);
    if (raw.ops === undefined) samples = samples.slice(Math.min(10, Math.floor(samples.length / 10)));
    samples.sort(ascending);
    const kept = samples.slice(0, Math.max(1, Math.ceil(samples.length * 0.99)));
    out.opsPerSec = 1e9 / (kept.reduce((a, b) => a + b, 0) / kept.length);
    out.p50 = quantile(samples, 0.5);
    out.p99 = quantile(samples, 0.99);
  }
  return out;
}

/**
 * The figures a case reports from its rounds: each the best of the rounds, because noise on a
 * shared machine only ever makes a round slower. The rate is the highest of the rounds; p50 and
 * p99 come from the round with the lowest p50.
 */
function bestRound(rounds) {
  let best = rounds[0];
  let rate = 0;
  for (const r of rounds) {
    if (r.p50 < best.p50) best = r;
    rate = Math.max(rate, r.opsPerSec);
  }
  return { ...best, opsPerSec: rate };
}

/**
 * How many times longer an operation of result r takes than one of base: the ratio of the p50s
 * when both were timed call by call (robust to a stray preemption on a shared machine), else of
 * the mean times per operation.
 */
function timeRatio(r, base) {
  if (Number.isFinite(r.p50) && Number.isFinite(base.p50)) return r.p50 / base.p50;
  return base.opsPerSec / r.opsPerSec;
}

function fixed(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** 5820000 -> "5.82 M" */
function formatCount(x) {
  if (!Number.isFinite(x)) return '-';
  for (const [unit, div] of [['G', 1e9], ['M', 1e6], ['k', 1e3]]) {
    if (x >= div) return `${fixed(x / div)} ${unit}`;
  }
  return fixed(x);
}

/** Bytes per second with decimal prefixes: 3.72e8 -> "372 MB/s" */
function formatRate(bytesPerSec) {
  if (!Number.isFinite(bytesPerSec)) return '-';
  for (const [unit, div] of [['GB/s', 1e9], ['MB/s', 1e6], ['kB/s', 1e3]]) {
    if (bytesPerSec >= div) return `${fixed(bytesPerSec / div)} ${unit}`;
  }
  return `${fixed(bytesPerSec)} B/s`;
}

/** Nanoseconds as a duration: 850 -> "850 ns", 12300 -> "12.3 µs" */
function formatNs(ns) {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e6) return `${fixed(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${fixed(ns / 1e3)} µs`;
  return `${fixed(ns)} ns`;
}

/** Payload sizes in binary units: 64 -> "64 B", 4096 -> "4 KiB", 1048576 -> "1 MiB" */
function formatSize(bytes) {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

module.exports = {
  now, measureSync, summarize, bestRound, quantile, timeRatio, formatCount, formatRate, formatNs, formatSize,
};
