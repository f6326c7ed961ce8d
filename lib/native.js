// Loads the compiled addon once per thread, and hands it the error factory it builds its errors
// with. native.constants are the facts of goshm.h. Looked for in build/<platform>-<arch> (a
// cross-built one, tools/build-windows.sh; first, because one checkout may hold a node-gyp build of
// another system, as under Wine), then build/Release, or build/Debug for a debug build.
'use strict';
const path = require('path');
const errors = require('./errors');

function load() {
  const tried = [];
  for (const type of [`${process.platform}-${process.arch}`, 'Release', 'Debug']) {
    const file = path.join(__dirname, '..', 'build', type, 'node_libsharedmemory.node');
    try {
      return require(file);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      tried.push(file);
    }
  }
  throw errors.notBuilt(tried);
}

const native = load();
native.setErrorFactory(errors.fromNative);

// process.exit() and an uncaught exception end the process without tearing this environment
// down, so the addon's own cleanup would not run: close what is still open (removing
// non-persistent segments) on 'exit', which both reach. One listener per thread, however often the
// module is loaded again (test runners clear the require cache; each load is a new addon instance
// with its own handles): every load adds its closeAll to the set that listener runs.
const EXIT_HOOKS = Symbol.for('node-libsharedmemory.exitHooks');
if (!Object.hasOwn(process, EXIT_HOOKS)) {
  const hooks = new Set();
  Object.defineProperty(process, EXIT_HOOKS, { value: hooks });
  process.on('exit', () => {
    for (const closeAll of hooks) closeAll();
  });
}
process[EXIT_HOOKS].add(() => native.closeAll());

module.exports = native;
