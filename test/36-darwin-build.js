// The macOS prebuilds, made from Linux with zig cc (tools/prebuild.js darwin-x64 darwin-arm64,
// which runs tools/build-darwin.js) and shipped in the tarball as prebuilds/darwin-<arch>/. Nothing
// here can run them: the test holds them to what macOS needs to load the pair from any folder,
// read from the Mach-O load commands. The build is made here when the prebuilds are older than
// their sources: from scratch over 5 minutes (installing zig, building libc++ and Go's runtime for
// two targets), about 10 s when only the engine changed. Skipped, with the reason, where there is
// no toolchain (Go, or Python to install zig with).
'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const { machO, check, NO_TOOLCHAIN } = require('../tools/build-darwin');
const { linuxOnly } = require('./helpers');

const root = path.join(__dirname, '..');
const shipped = (arch) => ({
  lib: path.join(root, 'prebuilds', `darwin-${arch}`, 'libgoshm.dylib'),
  addon: path.join(root, 'prebuilds', `darwin-${arch}`, 'node.napi.node'),
});

describe('36 darwin prebuilds (zig cc from Linux; never run on a Mac)', function () {
  let skip = null;

  before(function () {
    linuxOnly(this, 'the darwin prebuilds are cross-built on Linux');
    this.timeout(15 * 60 * 1000);
    const r = spawnSync(process.execPath, [path.join(root, 'tools', 'prebuild.js'), '--if-stale', 'darwin-x64', 'darwin-arm64'], {
      cwd: root, encoding: 'utf8',
    });
    if (r.status === NO_TOOLCHAIN) {
      skip = r.stderr.trim().split('\n').pop();
      return;
    }
    assert.strictEqual(r.status, 0, `prebuild.js darwin-x64 darwin-arm64 failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    assert.strictEqual(r.stdout, '', 'progress goes to stderr (npm pack --json reads stdout)');
  });

  // The reader above is this project's own; where LLVM's is installed, both must read the same.
  it('the Mach-O reader agrees with llvm-objdump on install names, rpaths and flat lookups', function () {
    const probe = spawnSync('llvm-objdump', ['--version'], { encoding: 'utf8' });
    if (skip || probe.error || probe.status !== 0) {
      console.log(`      skipped: ${skip || 'llvm-objdump is not installed'}`);
      this.skip();
    }
    for (const arch of ['x64', 'arm64']) {
      for (const file of ['lib', 'addon']) {
        const at = shipped(arch)[file];
        const mine = machO(at);
        const headers = spawnSync('llvm-objdump', ['--macho', '--private-headers', at], { encoding: 'utf8' }).stdout;
        const named = (cmd, field) =>
          [...headers.matchAll(new RegExp(`cmd ${cmd}\\n[^]*?${field} (\\S+) \\(offset`, 'g'))].map((m) => m[1]);
        assert.deepStrictEqual([mine.id], named('LC_ID_DYLIB', 'name'), `${arch} ${file} LC_ID_DYLIB`);
        assert.deepStrictEqual(mine.dylibs, named('LC_LOAD_DYLIB', 'name'), `${arch} ${file} LC_LOAD_DYLIB`);
        assert.deepStrictEqual(mine.rpaths, named('LC_RPATH', 'path'), `${arch} ${file} LC_RPATH`);
        const binds = spawnSync('llvm-objdump', ['--macho', '--bind', '--lazy-bind', at], { encoding: 'utf8' }).stdout;
        const flat = binds.split('\n').filter((l) => / flat-namespace /.test(l)).map((l) => l.trim().split(/\s+/).pop());
        assert.deepStrictEqual(mine.binds.filter((b) => b.ordinal === -2).map((b) => b.name).sort(), flat.sort(), `${arch} ${file} flat lookups`);
      }
    }
  });

  for (const arch of ['x64', 'arm64']) {
    it(`${arch}: the library names itself @rpath/libgoshm.dylib, the addon finds it through @loader_path, exports the module and takes N-API from Node`, function () {
      if (skip) {
        console.log(`      skipped: ${skip}`);
        this.skip();
      }
      const built = shipped(arch);
      const lib = machO(built.lib);
      const addon = machO(built.addon);
      assert.strictEqual(lib.id, '@rpath/libgoshm.dylib');
      assert.ok(lib.exports.includes('_lsm_stream_open'), 'libgoshm.dylib exports lsm_stream_open');
      assert.ok(addon.dylibs.includes('@rpath/libgoshm.dylib'), `the addon loads ${addon.dylibs}`);
      assert.deepStrictEqual(addon.rpaths, ['@loader_path']);
      assert.ok(addon.exports.includes('_napi_register_module_v1'));
      // Everything else: CPU type, system-only dependencies, flat lookup of every napi_ symbol,
      // each lsm_ call the addon makes exported by the library, arm64 signatures.
      assert.deepStrictEqual(check(arch, built).problems, []);
    });
  }
});
