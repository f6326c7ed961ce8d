// npm run prebuild: the prebuilds, made on this x64 Linux machine, in the layout prebuildify writes
// and node-gyp-build loads. One N-API build serves every Node version (NAPI_VERSION in binding.gyp).
//   linux-x64, linux-arm64  prebuilds/linux-<arch>/node.napi.glibc.node with the stripped Go library
//                           libgoshm.so beside it (the addon's rpath is $ORIGIN). Compiled by zig for
//                           glibc 2.28, what Node.js's own Linux builds need, and not for this
//                           machine's; the addon carries zig's libc++ (hidden), so it needs no
//                           libstdc++ either.
//   win32-x64               tools/build-windows.sh's cross build (mingw-w64), copied to
//                           prebuilds/win32-x64/node.napi.node with goshm.dll beside it, where
//                           Windows looks first for the imports of an addon Node loads.
//   darwin-x64, -arm64      tools/build-darwin.js's zig builds, checked by their Mach-O load commands,
//                           copied to prebuilds/darwin-<arch>/node.napi.node with libgoshm.dylib
//                           beside it (rpath @loader_path). Never run on a Mac (none can be run here):
//                           where one does not load, the install script builds from source.
// Windows and macOS have one libc each, so their addons carry no libc tag: node-gyp-build has none
// to match there.
//   node tools/prebuild.js [--if-stale] [linux-x64|linux-arm64|win32-x64|darwin-x64|darwin-arm64 ...]
//   (default: all)
// Progress goes to stderr: `npm pack --json` prints its JSON on stdout after prepack.
// --if-stale (npm pack's prepack) skips a target whose files are newer than every source, so a
// tarball never ships binaries older than its code, and packing twice builds once.
// Exit status 3: a toolchain is missing (named on the last line), as against a failed build.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { findZig, quote, addonTarget, nodeApiInclude, Unavailable, NO_TOOLCHAIN } = require('./cross');

const root = path.join(__dirname, '..');

// The oldest glibc the Linux prebuilds are linked for: that of Node.js 20's own official builds
// (RHEL 8, Debian 10), so a system that runs Node.js runs the prebuild.
const GLIBC = '2.28';
const TARGETS = {
  'linux-x64': { linux: 'x86_64', goarch: 'amd64' },
  'linux-arm64': { linux: 'aarch64', goarch: 'arm64' },
  'win32-x64': { windows: true, tools: ['x86_64-w64-mingw32-gcc', 'x86_64-w64-mingw32-g++-posix'], apt: 'mingw-w64' },
  'darwin-x64': { darwin: 'x64' },
  'darwin-arm64': { darwin: 'arm64' },
};
// prebuildify's tags: runtime node, N-API (any ABI), glibc (a musl build would sit beside it).
const ADDON = 'node.napi.glibc.node';
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

/** The newest modification time among the files a prebuild is made from. */
function newestSource(t) {
  const go = spawnSync(process.execPath, ['tools/go-sources.js'], { cwd: root, encoding: 'utf8' }).stdout.split('\n');
  const tools = t.windows ? ['tools/build-windows.sh'] : t.darwin ? ['tools/build-darwin.js'] : ['tools/build-go.js'];
  const files = go.filter(Boolean).concat(addonTarget().sources, ['binding.gyp', 'tools/prebuild.js', 'tools/cross.js'], tools);
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

function linuxPrebuild(t, zig, out) {
  const cc = [...zig, 'cc', '-target', `${t.linux}-linux-gnu.${GLIBC}`];
  const lib = path.join(out, 'libgoshm.so');
  run(process.execPath, ['tools/build-go.js', '--strip', lib], {
    GOOS: 'linux', GOARCH: t.goarch, CC: quote(cc), CGO_CFLAGS: '-O2',
    // Go's -s -w strips its own symbols and DWARF; this, those zig's objects bring.
    CGO_LDFLAGS: '-Wl,--strip-all',
  });
  // The C header go build writes beside the library is for building only.
  fs.rmSync(path.join(out, 'libgoshm.h'), { force: true });

  const gyp = addonTarget();
  const includes = [nodeApiInclude(), require('node-addon-api').include_dir, path.join(root, 'goshm', 'cabi')];
  run(zig[0], [
    ...zig.slice(1), 'c++', '-target', `${t.linux}-linux-gnu.${GLIBC}`,
    ...gyp.cflags_cc, '-fPIC', '-fvisibility=hidden', '-fno-exceptions', '-fno-rtti',
    ...gyp.defines.map((d) => `-D${d}`),
    ...includes.map((d) => `-I${d}`),
    ...gyp.sources,
    '-shared', '-s', `-L${out}`, '-lgoshm', '-Wl,-rpath,$ORIGIN',
    '-o', path.join(out, ADDON),
  ]);
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
  for (const tool of t.tools || []) {
    if (spawnSync(tool, ['--version']).error) {
      throw new Unavailable(`${name} needs ${tool}, which is not on PATH (Debian: apt-get install ${t.apt})`);
    }
  }
  let zig = null;
  try {
    if (t.linux) zig = findZig();
  } catch (err) {
    if (err instanceof Unavailable) err.message = `${name}: ${err.message}`;
    throw err;
  }
  const darwin = t.darwin ? await darwinBuild(t.darwin) : null;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  if (darwin) {
    fs.copyFileSync(darwin.addon, path.join(out, UNTAGGED_ADDON));
    fs.copyFileSync(darwin.lib, path.join(out, 'libgoshm.dylib'));
  } else if (t.windows) windowsPrebuild(out);
  else linuxPrebuild(t, zig, out);
  for (const f of fs.readdirSync(out)) {
    console.error(`prebuilds/${name}/${f}  ${(fs.statSync(path.join(out, f)).size / 1024).toFixed(0)} KiB`);
  }
}

const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
const wanted = args.filter((a) => a !== '--if-stale');
(async () => {
  for (const name of wanted.length ? wanted : Object.keys(TARGETS)) await prebuild(name, ifStale);
})().catch((err) => {
  process.stderr.write(`node-libsharedmemory prebuild: ${err.message}\n`);
  process.exit(err instanceof Unavailable ? NO_TOOLCHAIN : 1);
});
