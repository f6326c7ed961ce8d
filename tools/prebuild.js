// npm run prebuild: every Linux prebuild, made on this (x64) machine, in the layout prebuildify
// writes and node-gyp-build loads: prebuilds/<platform>-<arch>/node.napi.glibc.node, with the
// stripped Go library beside it (the addon's rpath is $ORIGIN). arm64 is cross-compiled with
// Debian's aarch64-linux-gnu-gcc/g++. One N-API build serves every Node version (NAPI_VERSION in
// binding.gyp), so the headers of the Node running this script do for all.
// win32-x64 is tools/build-windows.sh's cross build (mingw-w64), copied to
// prebuilds/win32-x64/node.napi.node (no libc tag: node-gyp-build has none to match on Windows) with
// goshm.dll beside it, where Windows looks first for the imports of an addon Node loads.
// darwin-x64 and darwin-arm64 are tools/build-darwin.js's zig builds, checked by their Mach-O load
// commands, copied to prebuilds/darwin-<arch>/node.napi.node with libgoshm.dylib beside it (the
// addon's rpath is @loader_path). They have never run on a Mac (none can be run here): where one
// does not load, the install script builds from source.
//   node tools/prebuild.js [--if-stale] [linux-x64|linux-arm64|win32-x64|darwin-x64|darwin-arm64 ...]
//   (default: all)
// Progress goes to stderr: `npm pack --json` prints its JSON on stdout after prepack.
// --if-stale (npm pack's prepack) skips a target whose files are newer than every source, so a
// tarball never ships binaries older than its code, and packing twice builds once.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const { Unavailable, NO_TOOLCHAIN } = require('./build-darwin');

const TARGETS = {
  'linux-x64': { goarch: 'amd64', cc: 'gcc', cxx: 'g++', apt: 'gcc g++' },
  'linux-arm64': { goarch: 'arm64', cc: 'aarch64-linux-gnu-gcc', cxx: 'aarch64-linux-gnu-g++', apt: 'gcc-aarch64-linux-gnu g++-aarch64-linux-gnu' },
  'win32-x64': { windows: true, cc: 'x86_64-w64-mingw32-gcc', cxx: 'x86_64-w64-mingw32-g++-posix', apt: 'mingw-w64' },
  // zig comes from PyPI (build-darwin.js installs it into a cache of its own), Go as for Linux.
  'darwin-x64': { darwin: 'x64' },
  'darwin-arm64': { darwin: 'arm64' },
};
// prebuildify's tags: runtime node, N-API (any ABI), glibc (a musl build would sit beside it).
const ADDON = 'node.napi.glibc.node';
// Windows and macOS have one libc each: node-gyp-build matches no tag there.
const UNTAGGED_ADDON = 'node.napi.node';

/** The files a target's prebuild folder holds. */
function outputs(t) {
  if (t.darwin) return [UNTAGGED_ADDON, 'libgoshm.dylib'];
  return t.windows ? [UNTAGGED_ADDON, 'goshm.dll'] : [ADDON, 'libgoshm.so'];
}

function run(cmd, args, env) {
  // stdout is npm pack's JSON: a tool's progress goes to stderr.
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2], env: { ...process.env, ...env } });
  if (r.error || r.status !== 0) {
    const why = r.error && r.error.code === 'ENOENT' ? `${cmd} is not installed` : `exit status ${r.status}`;
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} ...: ${why}`);
  }
}

/** The addon target of binding.gyp (JSON apart from its # comment lines): sources, defines, flags. */
function addonTarget() {
  const text = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  return JSON.parse(text).targets.find((t) => t.target_name === 'node_libsharedmemory');
}

function nodeHeaders() {
  const candidates = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!dir) throw new Error(`node_api.h not found in ${candidates.join(' or ')}`);
  return dir;
}

/** The newest modification time among the files a prebuild is made from. */
function newestSource(t) {
  const go = spawnSync(process.execPath, ['tools/go-sources.js'], { cwd: root, encoding: 'utf8' }).stdout.split('\n');
  const tools = t.windows ? ['tools/build-windows.sh'] : t.darwin ? ['tools/build-darwin.js'] : ['tools/build-go.js'];
  const files = go.filter(Boolean).concat(addonTarget().sources, ['binding.gyp', 'tools/prebuild.js'], tools);
  return Math.max(...files.map((f) => fs.statSync(path.join(root, f)).mtimeMs));
}

function fresh(out, t) {
  const files = outputs(t).map((f) => path.join(out, f));
  if (!files.every((f) => fs.existsSync(f))) return false;
  return Math.min(...files.map((f) => fs.statSync(f).mtimeMs)) > newestSource(t);
}

/**
 * The Windows prebuild is the cross build's output, renamed. build-windows.sh rebuilds only what
 * changed, and leaves build/win32-x64 in place: lib/native.js loads it first under Wine.
 */
function windowsPrebuild(out) {
  run('sh', ['tools/build-windows.sh']);
  const build = path.join(root, 'build', 'win32-x64');
  fs.copyFileSync(path.join(build, 'node_libsharedmemory.node'), path.join(out, UNTAGGED_ADDON));
  fs.copyFileSync(path.join(build, 'goshm.dll'), path.join(out, 'goshm.dll'));
}

/**
 * The darwin prebuild is build-darwin.js's output (build/darwin-<arch>), renamed; built before the
 * old prebuild is removed, and refused unless its load commands are what macOS needs.
 */
async function darwinBuild(arch) {
  const { buildDarwin, describe } = require('./build-darwin');
  const started = Date.now();
  const built = await buildDarwin(arch);
  for (const line of describe(arch, built, (Date.now() - started) / 1000)) console.error(line);
  if (built.report.problems.length) throw new Error(`darwin-${arch}: the build is not what macOS loads (PROBLEM lines above)`);
  return built;
}

async function prebuild(name, ifStale) {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
  const out = path.join(root, 'prebuilds', name);
  if (ifStale && fresh(out, t)) {
    console.error(`prebuilds/${name}: up to date`);
    return;
  }
  // Checked before the old prebuild is removed, so a machine without them keeps what it had.
  for (const tool of t.darwin ? [] : [t.cc, t.cxx]) {
    if (spawnSync(tool, ['--version']).error) {
      throw new Unavailable(`${name} needs ${tool}, which is not on PATH (Debian: apt-get install ${t.apt})`);
    }
  }
  const darwin = t.darwin ? await darwinBuild(t.darwin) : null;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  if (darwin) {
    fs.copyFileSync(darwin.addon, path.join(out, UNTAGGED_ADDON));
    fs.copyFileSync(darwin.lib, path.join(out, 'libgoshm.dylib'));
  } else if (t.windows) windowsPrebuild(out);
  else linuxPrebuild(t, out);
  for (const f of fs.readdirSync(out)) {
    console.error(`prebuilds/${name}/${f}  ${(fs.statSync(path.join(out, f)).size / 1024).toFixed(0)} KiB`);
  }
}

function linuxPrebuild(t, out) {
  const lib = path.join(out, 'libgoshm.so');
  run(process.execPath, ['tools/build-go.js', '--strip', lib], { GOOS: 'linux', GOARCH: t.goarch, CC: t.cc, CXX: t.cxx });
  // The C header go build writes beside the library is for building only.
  fs.rmSync(path.join(out, 'libgoshm.h'), { force: true });

  const gyp = addonTarget();
  const flags = gyp.cflags_cc.concat(['-fPIC', '-pthread', '-fno-exceptions', '-fno-rtti']);
  const includes = [nodeHeaders(), require('node-addon-api').include_dir, path.join(root, 'goshm', 'cabi')];
  run(t.cxx, [
    ...flags,
    ...gyp.defines.map((d) => `-D${d}`),
    ...includes.map((d) => `-I${d}`),
    ...gyp.sources,
    '-shared', '-s', `-L${out}`, '-lgoshm', '-Wl,-rpath,$ORIGIN',
    '-o', path.join(out, ADDON),
  ]);
}

const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
const wanted = args.filter((a) => a !== '--if-stale');
(async () => {
  for (const name of wanted.length ? wanted : Object.keys(TARGETS)) await prebuild(name, ifStale);
})().catch((err) => {
  process.stderr.write(`node-libsharedmemory prebuild: ${err.message}\n`);
  // As build-darwin.js: a missing toolchain is not a failed build.
  process.exit(err instanceof Unavailable ? NO_TOOLCHAIN : 1);
});
