#!/usr/bin/env node
// The benchmark: `npm run bench` (or `node bench/run.js`). Runs every case of bench/cases.js in
// interleaved rounds, keeps the best of each case's rounds, and prints the results with their
// ratios to the baselines and the issue's targets; a full run also draws bench/throughput.svg.
//
//   --quick            every case for a few milliseconds, one round: proves the benchmark works
//                      (also BENCH_QUICK=1). Exits non-zero if any case throws.
//   --rounds N         rounds (default 5; quick 1)
//   --time MS          time per case per round (default 150; quick 10)
//   --filter REGEX     only the cases whose id matches (baselines are not added automatically)
//   --svg FILE         where to draw the chart (default bench/throughput.svg; quick: not drawn)
//   --json FILE        where to write the raw results (default bench/results/latest.json)
//   --markdown         print the tables as Markdown (for BENCHMARKS.md)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { allCases, TARGETS, CHART_SERIES, SWEEP } = require('./cases');
const { now, measureSync, summarize, bestRound, formatSize } = require('./harness');
const { resultsTable, targetsTable, sweepTable } = require('./report');
const { throughputChart } = require('./chart');
const { Peers, killAll } = require('./transports');

function usageError(message) {
  const err = new Error(message);
  err.usage = true;
  return err;
}

function parseArgs(argv) {
  const envQuick = process.env.BENCH_QUICK;
  const opts = { quick: Boolean(envQuick && envQuick !== '0'), rounds: null, timeMs: null, filter: null,
    svg: undefined, json: undefined, markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw usageError(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--quick': opts.quick = true; break;
      case '--rounds': opts.rounds = Number(value()); break;
      case '--time': opts.timeMs = Number(value()); break;
      case '--filter': opts.filter = new RegExp(value()); break;
      case '--svg': opts.svg = value(); break;
      case '--json': opts.json = value(); break;
      case '--markdown': opts.markdown = true; break;
      case '-h': case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 13)
          .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default: throw usageError(`unknown argument ${a} (try --help)`);
    }
  }
  opts.rounds = opts.rounds || (opts.quick ? 1 : 5);
  opts.timeMs = opts.timeMs || (opts.quick ? 10 : 150);
  if (opts.svg === undefined && !opts.quick && !opts.filter) opts.svg = path.join(__dirname, 'throughput.svg');
  if (opts.json === undefined) opts.json = path.join(__dirname, 'results', opts.quick ? 'quick.json' : 'latest.json');
  return opts;
}

// Segments of this run are named `${runId}-...`, so the clean-up can find every one of them, even
// those of a case that failed before it could close its streams. Where each OS keeps segment files
// is known in one place, test/helpers.js (it needs no mocha); where they have none (macOS), the
// listing throws and nothing is removed here.
function removeSegments(lib, runId) {
  let names = [];
  try {
    names = require('../test/helpers').segmentNames().filter((n) => n.startsWith(`${runId}-`));
  } catch {
    return;
  }
  names.push(...require('./original').leftovers());
  for (const n of names) {
    try {
      lib.unlink(n);
    } catch {
      // Removed meanwhile.
    }
  }
}

// What a case gets to work with. Everything it opens through here is closed after the round.
function makeContext(lib, runId, peers, quick, counter) {
  const tracked = [];
  const track = (closable) => {
    tracked.push(closable);
    return closable;
  };
  return {
    lib,
    quick,
    now,
    peer: (kind) => peers.get(kind),
    segmentName: (tag) => `${runId}-${tag}-${++counter.n}`,
    track,
    /** A writer (non-persistent: removed when closed) and a reader over a new segment. */
    streams(size, options) {
      const name = `${runId}-s-${++counter.n}`;
      const w = track(new lib.NodeSharedMemoryWriteStream(name, size, false, options));
      const r = track(new lib.NodeSharedMemoryReadStream(name, undefined, true, options));
      return { w, r };
    },
    close() {
      for (const c of tracked.reverse()) {
        try {
          c.close();
        } catch {
          // Closing is best effort; the run's clean-up unlinks whatever is left.
        }
      }
    },
  };
}

async function measureCase(c, ctx, budgetNs) {
  try {
    if (c.run) {
      const raw = await c.run(ctx, budgetNs);
      return raw.figures ? { ...summarize(raw), figures: raw.figures } : summarize(raw);
    }
    const op = c.setup(ctx);
    return summarize(measureSync(op, budgetNs));
  } finally {
    ctx.close();
  }
}

// Other processes on a shared machine slow every case; the ratios between cases suffer less.
function loadAverage() {
  return os.loadavg()[0].toFixed(2);
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0] ? cpus[0].model.trim() : 'unknown CPU'}, ${os.type()} ${os.release()}, ` +
    `Node ${process.version}`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const lib = require('..');
  const runId = `nlsm-bench-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const peers = new Peers();
  const counter = { n: 0 };

  const emergency = () => {
    killAll();
    removeSegments(lib, runId);
  };
  process.on('exit', emergency);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      emergency();
      process.exit(130);
    });
  }

  let cases = allCases();
  if (opts.filter) cases = cases.filter((c) => opts.filter.test(c.id));
  const results = new Map();
  const active = [];
  const skipped = new Map(); // note -> ids: one line per reason
  for (const c of cases) {
    const ok = c.requires ? c.requires(lib) : true;
    if (ok === true && (c.run || c.setup)) active.push(c);
    else {
      const note = ok === true ? 'no measurement defined' : String(ok);
      results.set(c.id, { skipped: note });
      skipped.set(note, [...(skipped.get(note) || []), c.id]);
    }
  }
  for (const [note, ids] of skipped) {
    const what = ids.length === 1 ? ids[0] : `${ids.length} cases (${ids[0]}, …)`;
    process.stdout.write(`skip  ${what}: ${note}\n`);
  }

  const stamp = new Date().toISOString();
  const loadAtStart = loadAverage();
  process.stdout.write(`node-libsharedmemory benchmark, ${stamp}\n${machine()}\n` +
    `${opts.quick ? 'QUICK mode (figures are not meaningful)' : 'full run'}: ${active.length} cases, ` +
    `${opts.rounds} round(s) of ${opts.timeMs} ms each, best of the rounds kept\n\n`);

  const rounds = new Map(active.map((c) => [c.id, []]));
  const progress = process.stderr.isTTY;
  const started = now();
  try {
    // A warm-up pass, not kept: the first calls of a run pay for JIT compilation and for the Go
    // runtime's first callback from this thread, which would otherwise land on whichever case
    // happens to run first.
    if (!opts.quick) {
      for (const c of active) {
        if (!c.setup) continue;
        if (progress) process.stderr.write(`\r\x1b[Kwarm-up ${c.id}`);
        try {
          await measureCase(c, makeContext(lib, runId, peers, opts.quick, counter), Math.min(20, opts.timeMs / 4) * 1e6);
        } catch {
          // Reported when the case runs for real.
        }
      }
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [i, c] of active.entries()) {
        const prior = results.get(c.id);
        if (prior && prior.error) continue;
        if (progress) process.stderr.write(`\r\x1b[Kround ${round}/${opts.rounds} [${i + 1}/${active.length}] ${c.id}`);
        try {
          const r = await measureCase(c, makeContext(lib, runId, peers, opts.quick, counter), opts.timeMs * 1e6);
          rounds.get(c.id).push(r);
        } catch (err) {
          results.set(c.id, { error: err && err.stack ? err.stack : String(err) });
          if (progress) process.stderr.write('\n');
          process.stderr.write(`FAILED ${c.id}: ${err && err.stack ? err.stack : err}\n`);
        }
      }
    }
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    await peers.closeAll();
    removeSegments(lib, runId);
  }

  for (const c of active) {
    if (results.has(c.id)) continue;
    const best = bestRound(rounds.get(c.id));
    results.set(c.id, { ...best, latency: Boolean(c.latency), rounds: rounds.get(c.id).map((r) => r.opsPerSec) });
  }

  const md = { markdown: opts.markdown };
  process.stdout.write(`${resultsTable(cases, results, md)}\n\n`);
  process.stdout.write(`Targets\n\n${targetsTable(TARGETS, results, md)}\n\n`);
  const sweepIds = new Set(cases.map((c) => c.id));
  const series = CHART_SERIES.filter(([, idOf]) => SWEEP.some((b) => sweepIds.has(idOf(b))));
  if (series.length) process.stdout.write(`Throughput by payload size\n\n${sweepTable(series, SWEEP, results, md)}\n\n`);

  const failed = [...results.values()].filter((r) => r.error).length;
  process.stdout.write(`${active.length - failed} cases measured, ${failed} failed, ` +
    `${cases.length - active.length} skipped, in ${((now() - started) / 1e9).toFixed(1)} s; ` +
    `load average ${loadAtStart} at the start, ${loadAverage()} at the end\n`);

  if (opts.svg && series.length) {
    const svg = throughputChart({
      title: 'node-libsharedmemory: throughput against payload size',
      subtitle: `${machine()}; best of ${opts.rounds} rounds, ${stamp.slice(0, 10)}`,
      sizes: SWEEP,
      series: series.map(([label, idOf]) => ({
        label,
        points: SWEEP.map((bytes) => {
          const r = results.get(idOf(bytes));
          return { bytes, bytesPerSec: r && r.opsPerSec ? r.opsPerSec * bytes : 0 };
        }),
      })),
    });
    fs.writeFileSync(opts.svg, svg);
    process.stdout.write(`chart: ${path.relative(process.cwd(), opts.svg)}\n`);
  }
  if (opts.json) {
    fs.mkdirSync(path.dirname(opts.json), { recursive: true });
    const json = { date: stamp, machine: machine(), load: [loadAtStart, loadAverage()], quick: opts.quick,
      rounds: opts.rounds, timeMs: opts.timeMs, results: Object.fromEntries(results) };
    fs.writeFileSync(opts.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err && err.usage ? `bench: ${err.message}` : err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
