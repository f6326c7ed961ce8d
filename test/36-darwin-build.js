// The macOS library and addon, built from Linux with zig cc (npm run build:darwin), for x64 and
// arm64. Nothing here can run them: the test holds the build to what macOS needs to load the pair
// from any folder, read from the Mach-O load commands. From scratch the build takes over 5 minutes
// (installing zig, building libc++ and Go's runtime for two targets), so it runs only when asked:
// `npm run test:darwin` (LSM_TEST_DARWIN=1); and it is skipped, with the reason, when there is no
// toolchain (Go, or Python to install zig with).
'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const { machO, check, NO_TOOLCHAIN } = require('../tools/build-darwin');

const root = path.join(__dirname, '..');

describe('darwin build (zig cc from Linux; never run on a Mac)', function () {
  let skip = null;

  before(function () {
    if (process.env.LSM_TEST_DARWIN !== '1') {
      skip = 'the darwin build runs with npm run test:darwin (over 5 minutes from scratch)';
      return;
    }
    this.timeout(15 * 60 * 1000);
    const r = spawnSync(process.execPath, [path.join(root, 'tools', 'build-darwin.js')], { cwd: root, encoding: 'utf8' });
    if (r.status === NO_TOOLCHAIN) {
      skip = r.stderr.trim();
      return;
    }
    assert.strictEqual(r.status, 0, `build-darwin.js failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  });

  // The reader above is this project's own; where LLVM's is installed, both must read the same.
  it('the Mach-O reader agrees with llvm-objdump on install names, rpaths and flat lookups', function () {
    const probe = spawnSync('llvm-objdump', ['--version'], { encoding: 'utf8' });
    if (skip || probe.error || probe.status !== 0) {
      console.log(`      skipped: ${skip || 'llvm-objdump is not installed'}`);
      this.skip();
    }
    for (const arch of ['x64', 'arm64']) {
      for (const file of ['libgoshm.dylib', 'node_libsharedmemory.node']) {
        const at = path.join(root, 'build', `darwin-${arch}`, file);
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
      const out = path.join(root, 'build', `darwin-${arch}`);
      const built = { lib: path.join(out, 'libgoshm.dylib'), addon: path.join(out, 'node_libsharedmemory.node') };
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
