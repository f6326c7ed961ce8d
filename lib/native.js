// Loads the addon once per thread, and hands it the error factory it builds its errors with.
// native.constants are the facts of goshm.h. Looked for, in order: build/<platform>-<arch> (a
// cross-built addon, tools/build-windows.sh; first, because one checkout may also hold a node-gyp
// build of another system, as under Wine), then build/Release or build/Debug (a source build),
// then the prebuild for this platform in prebuilds/<platform>-<arch>/ (node-gyp-build's order and
// naming).
'use strict';
const fs = require('fs');
const path = require('path');
const nodeGypBuild = require('node-gyp-build');
const errors = require('./errors');

function load() {
  const root = path.join(__dirname, '..');
  const cross = path.join(root, 'build', `${process.platform}-${process.arch}`, 'node_libsharedmemory.node');
  let file = fs.existsSync(cross) ? cross : null;
  if (file === null) {
    try {
      file = nodeGypBuild.resolve(root);
    } catch {
      throw errors.notBuilt([`build/${process.platform}-${process.arch}`, 'build/Release', 'build/Debug',
        `prebuilds/${process.platform}-${process.arch}`].map((dir) => path.join(root, dir)));
    }
  }
  // Which file serves, for the tests (test/00: the node-gyp build, or the prebuild under
  // PREBUILDS_ONLY=1, node-gyp-build's switch); not part of the API.
  return Object.defineProperty(require(file), 'file', { value: file });
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
