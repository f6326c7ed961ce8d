// npm's install script. Where a prebuild in prebuilds/<platform>-<arch>/ fits and loads (in a child
// process: one that crashes as it loads must not take the install with it), nothing is built.
// Otherwise, with `npm install --build-from-source`, or in a git checkout (a contributor's
// `npm install` builds the code being edited, even after `npm run prebuild`), it builds from source as
// node-gyp-build would, but finds Go first (fetching the pinned toolchain if needed, see
// go-toolchain.js), so that a missing toolchain is the last thing printed, not line 39 of gyp's
// output.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { findGo, GoMissing } = require('./go-toolchain');

const root = path.join(__dirname, '..');

function say(message) {
  process.stderr.write(`node-libsharedmemory: ${message}\n`);
}

// npm passes --build-from-source as npm_config_build_from_source (node-gyp-build's switch); npm 11
// warns that it will stop passing unknown flags, so LSM_BUILD_FROM_SOURCE=1 says the same.
function buildFromSource() {
  const v = process.env.npm_config_build_from_source;
  const own = process.env.LSM_BUILD_FROM_SOURCE;
  return v === 'true' || v === 'node-libsharedmemory' || (!!own && own !== '0');
}

/**
 * The prebuild for this system, found as node-gyp-build finds it (platform, arch, libc tag), or
 * null with the reason said under --loglevel verbose.
 */
function matchingPrebuild() {
  const saved = process.env.PREBUILDS_ONLY;
  process.env.PREBUILDS_ONLY = '1';
  try {
    // node-gyp-build reads PREBUILDS_ONLY when it is first loaded.
    return require('node-gyp-build').resolve(root);
  } catch (err) {
    verbose(`no prebuild matches: ${err.message}`);
    return null;
  } finally {
    if (saved === undefined) delete process.env.PREBUILDS_ONLY;
    else process.env.PREBUILDS_ONLY = saved;
  }
}

function verbose(message) {
  if (/\bverbose\b/.test(process.env.npm_config_loglevel || '')) say(message);
}

// How long a prebuild may take to load in the child before it counts as not loading
// (LSM_PREBUILD_LOAD_TIMEOUT, in seconds; 120).
const LOAD_TIMEOUT_MS = (Number(process.env.LSM_PREBUILD_LOAD_TIMEOUT) || 120) * 1000;

/**
 * Whether the matching prebuild loads here (its libc, C++ runtime and Go library): null when it
 * does, else why not. Tried in a child process, so that a prebuild which crashes as it loads (a
 * fault as the Go runtime starts, say) sends the install to a source build instead of killing it.
 * The child says "started" before it loads anything: one that never says it could not start at all
 * (under qemu-user the kernel cannot run another arm64 binary, and the shell it falls back to reads
 * the binary as a script), and leaves the test to this process.
 */
function whyNoPrebuild() {
  const none = `no prebuild loads on ${process.platform}-${process.arch}`;
  const file = matchingPrebuild();
  if (file === null) return none;
  const failed = (how) => `${path.relative(root, file).split(path.sep).join('/')} does not load here: ${how}`;
  const probe = `process.stdout.write('started\\n'); require(${JSON.stringify(file)});`;
  const child = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: LOAD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  // Out of time is a verdict either way: loading it here instead would hang this process too.
  if (child.error && child.error.code === 'ETIMEDOUT') return failed(`it did not finish loading in ${LOAD_TIMEOUT_MS / 1000} s`);
  if (child.stdout === 'started\n') {
    if (child.status === 0) return null;
    if (child.signal) return failed(`it died of ${child.signal}`);
    return failed(child.stderr.split('\n').find((l) => /^[A-Za-z]*Error\b/.test(l)) || `exit status ${child.status}`);
  }
  try {
    require(file);
    return null;
  } catch (err) {
    return failed(err.message.split('\n')[0]);
  }
}

/** The node-gyp to run: npm's own (npm_config_node_gyp), a local one, or the one on PATH. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })];
  } catch {
    return ['node-gyp'];
  }
}

async function main() {
  const forced = buildFromSource();
  const checkout = fs.existsSync(path.join(root, '.git'));
  const why = forced ? 'a source build was asked for' : checkout ? 'a git checkout builds its own code' : whyNoPrebuild();
  if (why === null) return 0;
  // binding.gyp has no MSVC build yet: node-gyp would fail there after a page of output.
  if (process.platform === 'win32') {
    say(`building from source (${why}): source builds on Windows are not supported yet; ` +
      'the win32-x64 prebuild is cross-built on Linux (npm run prebuild -- win32-x64)');
    return 1;
  }

  let go;
  try {
    go = await findGo();
  } catch (err) {
    if (!(err instanceof GoMissing)) throw err;
    say(`building from source (${why}): ${err.message}`);
    return 1;
  }
  if (go.note) say(go.note);
  const env = { ...process.env };
  if (go.go !== 'go') env.PATH = `${path.dirname(go.go)}${path.delimiter}${env.PATH}`;
  const [cmd, ...args] = nodeGyp();
  const r = spawnSync(cmd, [...args, 'rebuild'], { cwd: root, stdio: 'inherit', env });
  if (r.status === 0) return 0;
  say('the source build failed (see above). It needs Node.js headers (node-gyp fetches them), a C++ ' +
    'compiler, make and Python 3; Go is fetched if missing.');
  return r.status || 1;
}

main().then((code) => process.exit(code), (err) => {
  say(err.stack || String(err));
  process.exit(1);
});
