// Loads the compiled addon (build/Release, or build/Debug for a debug build) once per thread.
'use strict';
const path = require('path');

function load() {
  const errors = [];
  for (const type of ['Release', 'Debug']) {
    const file = path.join(__dirname, '..', 'build', type, 'node_libsharedmemory.node');
    try {
      return require(file);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      errors.push(file);
    }
  }
  const err = new Error(
    `node-libsharedmemory: the native addon is not built (looked for ${errors.join(' and ')}); ` +
      'run `npm run rebuild` in the package folder (needs Go, a C++ compiler and Python).');
  err.code = 'ERR_SHM_NOT_BUILT';
  throw err;
}

const native = load();

// process.exit() and an uncaught exception end the process without tearing this environment
// down, so the addon's own cleanup would not run: close what is still open (removing
// non-persistent segments) on 'exit', which both reach.
process.on('exit', () => native.closeAll());

module.exports = native;
