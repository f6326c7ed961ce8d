// Builds the Go engine into a C shared library: node tools/build-go.js [--strip] <output library>.
// Run by binding.gyp and by tools/prebuild.js (which sets GOARCH and CC to cross-compile, and
// --strip: -s -w drops the symbol table and DWARF, most of the library's size; panics keep their
// function names). Without a Go new enough on PATH it uses the pinned toolchain (go-toolchain.js)
// or stops with one or two lines saying what to install.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const { findGo, GoMissing } = require('./go-toolchain');

const root = path.join(__dirname, '..');
const LIBRARY = { darwin: 'libgoshm.dylib', win32: 'goshm.dll' }[process.platform] || 'libgoshm.so';
const args = process.argv.slice(2);
const strip = args.includes('--strip');
const output = path.resolve(args.filter((a) => a !== '--strip')[0] || path.join(root, 'build', 'Release', LIBRARY));

function fail(message) {
  process.stderr.write(`node-libsharedmemory: ${message}\n`);
  process.exit(1);
}

async function main() {
  let go;
  try {
    const found = await findGo();
    go = found.go;
    if (found.note) process.stderr.write(`node-libsharedmemory: ${found.note}\n`);
  } catch (err) {
    if (err instanceof GoMissing) fail(err.message);
    throw err;
  }
  // On macOS the addon finds the library through its rpath (@loader_path), so the library must
  // name itself relative to it.
  const ldflags = [];
  if (strip) ldflags.push('-s', '-w');
  if (process.platform === 'darwin') ldflags.push(`-extldflags=-Wl,-install_name,@rpath/${LIBRARY}`);
  const flags = ldflags.length ? ['-ldflags', ldflags.join(' ')] : [];
  const build = spawnSync(go, ['build', '-buildmode=c-shared', '-trimpath', ...flags, '-o', output, './goshm/cabi'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '1' },
  });
  if (build.error) fail(`go build failed: ${build.error.message}`);
  process.exit(build.status === null ? 1 : build.status);
}

main().catch((err) => fail(err.stack || String(err)));
