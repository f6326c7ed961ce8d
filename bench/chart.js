// Draws the throughput chart as a hand-written SVG: bytes per second against payload size, both
// axes logarithmic, one polyline per series.
'use strict';
const { formatSize } = require('./harness');

const W = 820;
const H = 500;
const M = { left: 84, right: 230, top: 56, bottom: 64 };
const STYLES = [
  { color: '#1f77b4', dash: '' },
  { color: '#2ca02c', dash: '' },
  { color: '#9467bd', dash: '' },
  { color: '#555555', dash: '7 4' },
  { color: '#d62728', dash: '2 4' },
  { color: '#ff7f0e', dash: '10 3 2 3' },
];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function rateLabel(bytesPerSec) {
  const units = [['TB/s', 1e12], ['GB/s', 1e9], ['MB/s', 1e6], ['kB/s', 1e3]];
  for (const [unit, div] of units) if (bytesPerSec >= div) return `${Math.round(bytesPerSec / div)} ${unit}`;
  return `${Math.round(bytesPerSec)} B/s`;
}

/**
 * series: [{ label, points: [{ bytes, bytesPerSec }] }]; sizes: the payload sizes (x ticks).
 * Returns the SVG document as a string.
 */
function throughputChart({ title, subtitle, series, sizes }) {
  const ys = series.flatMap((s) => s.points.map((p) => p.bytesPerSec)).filter((y) => y > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const xMin = Math.min(...sizes);
  const xMax = Math.max(...sizes);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (b) => M.left + (Math.log(b / xMin) / Math.log(xMax / xMin)) * pw;
  const y = (v) => M.top + ph - (Math.log(v / yMin) / Math.log(yMax / yMin)) * ph;
  const f = (n) => n.toFixed(1);

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${M.left}" y="42" fill="#555">${esc(subtitle)}</text>`);

  // Grid and ticks: a line per payload size and per decade of throughput.
  for (const b of sizes) {
    out.push(`<line x1="${f(x(b))}" y1="${M.top}" x2="${f(x(b))}" y2="${M.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${f(x(b))}" y="${M.top + ph + 18}" text-anchor="middle">${esc(formatSize(b))}</text>`);
  }
  for (let v = yMin; v <= yMax * 1.001; v *= 10) {
    out.push(`<line x1="${M.left}" y1="${f(y(v))}" x2="${M.left + pw}" y2="${f(y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${esc(rateLabel(v))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 18}" text-anchor="middle">payload size (log scale)</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">throughput, bytes/s (log scale)</text>`);

  series.forEach((s, i) => {
    const st = STYLES[i % STYLES.length];
    const pts = s.points.filter((p) => p.bytesPerSec > 0);
    if (pts.length) {
      const d = pts.map((p) => `${f(x(p.bytes))},${f(y(p.bytesPerSec))}`).join(' ');
      out.push(`<polyline points="${d}" fill="none" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`);
      for (const p of pts) {
        out.push(`<circle cx="${f(x(p.bytes))}" cy="${f(y(p.bytesPerSec))}" r="3" fill="${st.color}"><title>${esc(`${s.label}, ${formatSize(p.bytes)}: ${rateLabel(p.bytesPerSec)}`)}</title></circle>`);
      }
    }
    const ly = M.top + 10 + i * 22;
    const lx = M.left + pw + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`);
    out.push(`<circle cx="${lx + 14}" cy="${ly}" r="3" fill="${st.color}"/>`);
    out.push(`<text x="${lx + 36}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

module.exports = { throughputChart };
