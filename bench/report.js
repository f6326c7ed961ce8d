// Turns the results of a run into the printed tables: every case with its ratios to its
// baselines, the targets (met or missed), and the throughput by payload size of the chart.
'use strict';
const { formatCount, formatRate, formatNs, formatSize, timeRatio } = require('./harness');

/** Renders rows of cells as an aligned text table, or as a Markdown table. */
function table(headers, rows, { markdown = false, right = [] } = {}) {
  if (markdown) {
    const line = (cells) => `| ${cells.join(' | ')} |`;
    const rule = headers.map((_, i) => (right.includes(i) ? '---:' : '---'));
    return [line(headers), line(rule), ...rows.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const pad = (cells) => cells.map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ').trimEnd();
  return [pad(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(pad)].join('\n');
}

function ratioText(result, base, by) {
  if (!base) return null;
  if (by === 'time') return `${timeRatio(result, base).toFixed(2)}x the time of`;
  const x = result.opsPerSec / base.opsPerSec;
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}x the rate of`;
}

/**
 * The main table: one row per case; a case with several baselines continues on extra rows that
 * hold only the ratio. `results` maps id -> { opsPerSec, p50, p99, latency } or { skipped } or
 * { error }.
 */
function resultsTable(cases, results, opts) {
  const rows = [];
  for (const c of cases) {
    const r = results.get(c.id);
    if (!r) continue;
    if (r.skipped || r.error) {
      rows.push([c.id, c.payload, r.skipped ? 'skipped' : 'FAILED', '', '', '', r.skipped ? r.skipped : r.error.split('\n')[0]]);
      continue;
    }
    const ratios = (c.baselines || [])
      .map(([id, by]) => [id, ratioText(r, results.get(id) && !results.get(id).skipped && !results.get(id).error ? results.get(id) : null, by)])
      .filter(([, text]) => text)
      .map(([id, text]) => `${text} ${id}`);
    rows.push([
      c.id, c.payload, formatCount(r.opsPerSec),
      r.latency ? '-' : formatRate(r.opsPerSec * c.bytes),
      formatNs(r.p50), formatNs(r.p99), ratios[0] || '',
    ]);
    for (const extra of ratios.slice(1)) rows.push(['', '', '', '', '', '', extra]);
    for (const [what, figure] of Object.entries(r.figures || {})) rows.push(['', '', '', '', '', '', `${what}: ${figure}`]);
  }
  return table(['case', 'payload', 'ops/s', 'bytes/s', 'p50', 'p99', 'vs baseline'], rows,
    { ...opts, right: [2, 3, 4, 5] });
}

function targetsTable(targets, results, opts) {
  const rows = targets.map((t) => {
    const v = t.value(results);
    const known = Number.isFinite(v);
    const met = known && (t.atLeast !== undefined ? v >= t.atLeast : t.atMost !== undefined ? v <= t.atMost : v < t.below);
    const shown = !known ? 'n/a' : t.unit === 'ops/s' ? `${formatCount(v)} ops/s` : `${v.toFixed(t.unit === 'x' ? 2 : 1)} ${t.unit}`;
    return [known ? (met ? 'met' : 'MISSED') : 'n/a', t.text, shown];
  });
  return table(['', 'target', 'measured'], rows, { ...opts, right: [2] });
}

/** Bytes per second of each chart series at each payload size. */
function sweepTable(series, sizes, results, opts) {
  const rows = sizes.map((bytes) => [formatSize(bytes), ...series.map(([, idOf]) => {
    const r = results.get(idOf(bytes));
    return r && r.opsPerSec ? formatRate(r.opsPerSec * bytes) : '-';
  })]).filter((row) => row.slice(1).some((cell) => cell !== '-'));
  return table(['payload', ...series.map(([label]) => label)], rows, { ...opts, right: series.map((_, i) => i + 1) });
}

module.exports = { resultsTable, targetsTable, sweepTable };
