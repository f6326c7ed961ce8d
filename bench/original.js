// The original C++ addon, node-libsharedmemory 0.0.9, when the benchmark is given a build of it:
// BENCH_ORIGINAL=/path/to/node-libsharedmemory.node. It is not on npm and not in this repository
// (its source is on GitHub); BENCHMARKS.md says how it was built for the figures there. Without it
// the original's cases skip, saying so. Returns the addon, or a string saying why there is none.
'use strict';
const path = require('path');

let loaded;
// Every stream of the original also creates a persistent 64-byte segment named "__void" (the
// default of a member it replaces at once), which it never removes: the run removes it at the end
// unless it was there before.
const VOID = '__void';
let voidBefore = false;

function load() {
  if (loaded !== undefined) return loaded;
  try {
    voidBefore = require('../test/helpers').segmentNames().includes(VOID);
  } catch {
    voidBefore = true; // no listing: leave it alone
  }
  const file = process.env.BENCH_ORIGINAL;
  if (!file) {
    loaded = 'BENCH_ORIGINAL is not set (the path of a build of the original 0.0.9 addon: see BENCHMARKS.md)';
    return loaded;
  }
  try {
    const addon = require(path.resolve(file));
    loaded = typeof addon.NodeSharedMemoryWriteStream === 'function' &&
      typeof addon.NodeSharedMemoryReadStream === 'function'
      ? addon
      : `BENCH_ORIGINAL (${file}) has no NodeSharedMemoryWriteStream/NodeSharedMemoryReadStream`;
  } catch (err) {
    loaded = `BENCH_ORIGINAL (${file}) did not load: ${err.message.split('\n')[0]}`;
  }
  return loaded;
}

/** Names the original left behind in this run. */
function leftovers() {
  return typeof loaded === 'object' && !voidBefore ? [VOID] : [];
}

module.exports = { load, leftovers };
