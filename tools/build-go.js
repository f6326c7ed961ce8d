// Builds the Go engine into a C shared library: node tools/build-go.js <output library>.
// Run by binding.gyp; stops with one clear line when Go is missing or too old.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const MIN_GO = [1, 24];
const root = path.join(__dirname, '..');
const LIBRARY = { darwin: 'libgoshm.dylib', win32: 'goshm.dll' }[process.platform] || 'libgoshm.so';
const output = path.resolve(process.argv[2] || path.join(root, 'build', 'Release', LIBRARY));

function fail(message) {
  process.stderr.write(`node-libsharedmemory: ${message}\n`);
  process.exit(1);
}

const version = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  fail(`building needs Go ${MIN_GO.join('.')} or newer on PATH (https://go.dev/dl/), and \`go\` was not found.`);
}
const m = /^go(\d+)\.(\d+)/.exec(version.stdout.trim());
if (m && (Number(m[1]) < MIN_GO[0] || (Number(m[1]) === MIN_GO[0] && Number(m[2]) < MIN_GO[1]))) {
  fail(`building needs Go ${MIN_GO.join('.')} or newer; found ${version.stdout.trim()}.`);
}

// On macOS the addon finds the library through its rpath (@loader_path), so the library must name
// itself relative to it.
const ldflags = process.platform === 'darwin' ? ['-ldflags', `-extldflags=-Wl,-install_name,@rpath/${LIBRARY}`] : [];
const build = spawnSync('go', ['build', '-buildmode=c-shared', '-trimpath', ...ldflags, '-o', output, './goshm/cabi'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CGO_ENABLED: '1' },
});
if (build.error) fail(`go build failed: ${build.error.message}`);
process.exit(build.status === null ? 1 : build.status);
