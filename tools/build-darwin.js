// Builds the macOS library and addon from Linux, for x64 and arm64, with `zig cc` (PyPI's ziglang):
// node tools/build-darwin.js [x64|arm64 ...]  ->  build/darwin-<arch>/{libgoshm.dylib,node_libsharedmemory.node}
// and checks each result's Mach-O load commands. Nothing here can run a darwin binary: what this
// proves is that both link, against the libSystem zig ships, with the names and paths macOS needs.
// tools/prebuild.js's darwin targets call buildDarwin and ship what it built.
// Exit status 3 means the toolchain (Go, or Python to install zig) is missing, not that the build failed.
'use strict';
const fs = require('fs');
const path = require('path');
const { findGo, GoMissing } = require('./go-toolchain');
const { findZig, must, quote, addonTarget, nodeApiInclude, Unavailable, NO_TOOLCHAIN } = require('./cross');

const root = path.join(__dirname, '..');
// Go ≥ 1.25 requires macOS 12, and the addon follows the library.
const MIN_MACOS = '12.0';
const ARCHS = {
  x64: { goarch: 'amd64', zig: 'x86_64', cputype: 0x01000007 },
  arm64: { goarch: 'arm64', zig: 'aarch64', cputype: 0x0100000c },
};

// zig ships libSystem for macOS but no other SDK library, and the Go runtime's link asks for two
// more: -lresolv (internal/syscall/unix, for the resolver functions res_9_*) and, on arm64,
// -framework CoreFoundation (runtime/cgo, used only on iOS). These stubs carry the real install
// names, so the load commands are those a build with Apple's SDK writes, and both are in every
// macOS; libresolv's exports are the three symbols Go imports from it, CoreFoundation's none.
function writeSdkStubs(dir) {
  const targets = '[ x86_64-macos, arm64-macos, arm64e-macos ]';
  const stub = (install, symbols) =>
    ['--- !tapi-tbd', 'tbd-version: 4', `targets: ${targets}`, `install-name: '${install}'`]
      .concat(symbols.length ? ['exports:', `  - targets: ${targets}`, `    symbols: [ ${symbols.join(', ')} ]`] : [])
      .concat(['...', ''])
      .join('\n');
  fs.mkdirSync(path.join(dir, 'Frameworks', 'CoreFoundation.framework'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'libresolv.tbd'), stub('/usr/lib/libresolv.9.dylib', ['_res_9_nclose', '_res_9_ninit', '_res_9_nsearch']));
  fs.writeFileSync(path.join(dir, 'Frameworks', 'CoreFoundation.framework', 'CoreFoundation.tbd'),
    stub('/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation', []));
}

function buildArch(go, zig, arch, sdk) {
  const a = ARCHS[arch];
  const out = path.join(root, 'build', `darwin-${arch}`);
  fs.mkdirSync(out, { recursive: true });
  const target = ['-target', `${a.zig}-macos.${MIN_MACOS}`];
  const lib = path.join(out, 'libgoshm.dylib');
  must(`go build (darwin/${a.goarch})`, go, ['build', '-buildmode=c-shared', '-trimpath',
    '-ldflags', '-s -w -extldflags=-Wl,-install_name,@rpath/libgoshm.dylib', '-o', lib, './goshm/cabi'], {
    cwd: root,
    env: { ...process.env, GOOS: 'darwin', GOARCH: a.goarch, CGO_ENABLED: '1',
      CC: quote([...zig, 'cc', ...target]), CGO_CFLAGS: '-O2', CGO_LDFLAGS: `-L${sdk} -F${path.join(sdk, 'Frameworks')}` },
  });
  fs.rmSync(path.join(out, 'libgoshm.h'), { force: true });

  // A dylib rather than node-gyp's MH_BUNDLE (zig links no bundles); Node's dlopen takes either.
  // Node's own symbols stay undefined and are looked up in the process at load time.
  const t = addonTarget();
  const addon = path.join(out, 'node_libsharedmemory.node');
  must(`zig c++ (addon, ${arch})`, zig[0], [...zig.slice(1), 'c++', ...target, '-std=c++17', '-O2', '-fPIC', '-fvisibility=hidden', '-fno-exceptions', '-fno-rtti', '-s',
    ...t.defines.map((d) => `-D${d}`), '-DBUILDING_NODE_EXTENSION',
    '-I', require('node-addon-api').include_dir, '-I', nodeApiInclude(), '-I', path.join(root, 'goshm', 'cabi'),
    '-shared', '-undefined', 'dynamic_lookup', '-Wl,-install_name,@rpath/node_libsharedmemory.node',
    '-L', out, '-lgoshm', '-Wl,-rpath,@loader_path', '-o', addon, ...t.sources.map((s) => path.join(root, s))]);
  return { lib, addon };
}

// --- Mach-O: just enough of <mach-o/loader.h> and <mach-o/nlist.h> to check the results.
const LC = { SYMTAB: 0x2, LOAD_DYLIB: 0xc, ID_DYLIB: 0xd, CODE_SIGNATURE: 0x1d, DYLD_INFO: 0x22, BUILD_VERSION: 0x32,
  LOAD_WEAK_DYLIB: 0x80000018, RPATH: 0x8000001c, REEXPORT_DYLIB: 0x8000001f, DYLD_INFO_ONLY: 0x80000022 };
const MH_DYLIB = 6;
const BIND_SPECIAL_DYLIB_FLAT_LOOKUP = -2;

// The symbol and library ordinal of every bind and lazy bind: what dyld actually looks up, and
// where (an ordinal of a load command, or a special one, -2 meaning "anywhere in the process").
// The symbol table's ordinals are not it: zig leaves them 0 for the symbols it binds flat.
function binds(b, start, size) {
  const out = [];
  let at = start;
  const end = start + size;
  const uleb = () => {
    let v = 0;
    let shift = 0;
    let byte;
    do {
      byte = b[at++];
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return v;
  };
  let ordinal = 0;
  let name = null;
  while (at < end) {
    const op = b[at] & 0xf0;
    const imm = b[at++] & 0x0f;
    if (op === 0x10) ordinal = imm;
    else if (op === 0x20) ordinal = uleb();
    else if (op === 0x30) ordinal = imm === 0 ? 0 : (imm | 0xf0) << 24 >> 24;
    else if (op === 0x40) {
      name = b.toString('latin1', at, b.indexOf(0, at));
      at += name.length + 1;
    } else if (op === 0x60 || op === 0x70 || op === 0x80 || op === 0xa0) uleb(); // addend (sleb: same length), segment, address
    else if (op === 0xc0) uleb(), uleb();
    else if (op === 0xd0 && imm === 0) uleb();
    if (op === 0x90 || op === 0xa0 || op === 0xb0 || op === 0xc0) out.push({ name, ordinal });
  }
  return out;
}

function machO(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32LE(0) !== 0xfeedfacf) throw new Error(`${file} is not a 64-bit little-endian Mach-O file`);
  const info = { cputype: b.readUInt32LE(4), filetype: b.readUInt32LE(12), id: null, dylibs: [], rpaths: [],
    minos: null, signed: false, exports: [], undefined: [], binds: [] };
  const cstr = (at) => b.toString('latin1', at, b.indexOf(0, at));
  let off = 32;
  for (let i = 0, n = b.readUInt32LE(16); i < n; i++) {
    const cmd = b.readUInt32LE(off);
    const size = b.readUInt32LE(off + 4);
    if (cmd === LC.ID_DYLIB) info.id = cstr(off + b.readUInt32LE(off + 8));
    else if (cmd === LC.LOAD_DYLIB || cmd === LC.LOAD_WEAK_DYLIB || cmd === LC.REEXPORT_DYLIB) info.dylibs.push(cstr(off + b.readUInt32LE(off + 8)));
    else if (cmd === LC.RPATH) info.rpaths.push(cstr(off + b.readUInt32LE(off + 8)));
    else if (cmd === LC.CODE_SIGNATURE) info.signed = true;
    else if (cmd === LC.DYLD_INFO || cmd === LC.DYLD_INFO_ONLY) {
      info.binds.push(...binds(b, b.readUInt32LE(off + 16), b.readUInt32LE(off + 20)));
      info.binds.push(...binds(b, b.readUInt32LE(off + 32), b.readUInt32LE(off + 36)));
    }
    else if (cmd === LC.BUILD_VERSION) {
      const v = b.readUInt32LE(off + 12); // xxxx.yy.zz in nibbles
      info.minos = `${v >>> 16}.${(v >> 8) & 0xff}`;
    } else if (cmd === LC.SYMTAB) {
      const [symoff, nsyms, stroff] = [b.readUInt32LE(off + 8), b.readUInt32LE(off + 12), b.readUInt32LE(off + 16)];
      for (let s = 0; s < nsyms; s++) {
        const e = symoff + s * 16;
        const type = b[e + 4];
        if ((type & 0xe0) !== 0 || !(type & 0x01) || (type & 0x10)) continue; // debug, local or private extern
        const name = cstr(stroff + b.readUInt32LE(e));
        if ((type & 0x0e) === 0x0e) info.exports.push(name);
        else if ((type & 0x0e) === 0) info.undefined.push(name);
      }
    }
    off += size;
  }
  return info;
}

// What macOS needs to load the pair from any folder: the library names itself through @rpath, the
// addon looks for it through its own folder, finds Node's symbols in the process, exports the
// module's entry point; everything else it loads is part of macOS; arm64 code is signed.
function check(arch, { lib, addon }) {
  const problems = [];
  const system = (d) => d.startsWith('/usr/lib/') || d.startsWith('/System/Library/');
  const l = machO(lib);
  const m = machO(addon);
  for (const [name, f] of [['libgoshm.dylib', l], ['node_libsharedmemory.node', m]]) {
    if (f.cputype !== ARCHS[arch].cputype) problems.push(`${name}: CPU type 0x${f.cputype.toString(16)}`);
    if (f.filetype !== MH_DYLIB) problems.push(`${name}: file type ${f.filetype}, not a dylib`);
    if (f.minos !== MIN_MACOS) problems.push(`${name}: minimum macOS ${f.minos}, not ${MIN_MACOS}`);
    if (arch === 'arm64' && !f.signed) problems.push(`${name}: no code signature (arm64 macOS runs only signed code)`);
  }
  if (l.id !== '@rpath/libgoshm.dylib') problems.push(`libgoshm.dylib: LC_ID_DYLIB ${l.id}`);
  if (!l.dylibs.every(system)) problems.push(`libgoshm.dylib loads ${l.dylibs.filter((d) => !system(d))}`);
  const abi = l.exports.filter((s) => s.startsWith('_lsm_'));
  if (abi.length === 0) problems.push('libgoshm.dylib exports no lsm_ function');
  if (!m.dylibs.includes('@rpath/libgoshm.dylib')) problems.push(`the addon does not load @rpath/libgoshm.dylib: ${m.dylibs}`);
  if (!m.dylibs.every((d) => d === '@rpath/libgoshm.dylib' || system(d))) problems.push(`the addon loads ${m.dylibs}`);
  if (!m.rpaths.includes('@loader_path')) problems.push(`the addon's rpaths are ${JSON.stringify(m.rpaths)}, not @loader_path`);
  if (!m.exports.includes('_napi_register_module_v1')) problems.push('the addon does not export napi_register_module_v1');
  const napi = m.undefined.filter((u) => /^_(napi|node_api)_/.test(u));
  const flat = new Set(m.binds.filter((x) => x.ordinal === BIND_SPECIAL_DYLIB_FLAT_LOOKUP).map((x) => x.name));
  const bound = napi.filter((u) => !flat.has(u));
  if (napi.length === 0 || bound.length) problems.push(`Node's symbols not looked up in the process at load time: ${bound}`);
  const missing = m.undefined.filter((u) => u.startsWith('_lsm_') && !l.exports.includes(u));
  if (missing.length) problems.push(`the addon calls ${missing} that libgoshm.dylib does not export`);
  return { problems, lib: l, addon: m, abi: abi.length, napi: napi.length };
}

/**
 * Builds and checks one architecture: { lib, addon, report } with check()'s report. Throws
 * Unavailable when Go (on PATH or the pinned one, go-toolchain.js) or zig cannot be had.
 */
async function buildDarwin(arch) {
  if (!ARCHS[arch]) throw new Error(`unknown arch ${arch}: one of ${Object.keys(ARCHS).join(', ')}`);
  let go;
  try {
    const found = await findGo();
    if (found.note) console.error(`build-darwin: ${found.note}`);
    go = found.go;
  } catch (err) {
    if (err instanceof GoMissing) throw new Unavailable(err.message);
    throw err;
  }
  const zig = findZig();
  const sdk = path.join(root, 'build', 'darwin-sdk');
  writeSdkStubs(sdk);
  const built = buildArch(go, zig, arch, sdk);
  return { ...built, report: check(arch, built) };
}

/** What was built and what its load commands say, a line each. */
function describe(arch, { lib, addon, report: r }, seconds) {
  return [
    `darwin-${arch} (${seconds.toFixed(0)} s): ${path.relative(root, lib)}, ${path.relative(root, addon)}`,
    `  libgoshm.dylib: id ${r.lib.id}; loads ${r.lib.dylibs.join(', ')}; ${r.abi} lsm_ exports; macOS ${r.lib.minos}+${r.lib.signed ? '; signed' : ''}`,
    `  addon: loads ${r.addon.dylibs.join(', ')}; rpath ${r.addon.rpaths.join(', ')}; ` +
      `exports ${r.addon.exports.filter((s) => /napi|node_api/.test(s)).join(', ')}; ${r.napi} N-API symbols from the process`,
    ...r.problems.map((p) => `  PROBLEM: ${p}`),
  ];
}

async function main() {
  const archs = process.argv.slice(2);
  for (const a of archs) if (!ARCHS[a]) throw new Error(`unknown arch ${a}: one of ${Object.keys(ARCHS).join(', ')}`);
  let failed = false;
  for (const arch of archs.length ? archs : Object.keys(ARCHS)) {
    const started = Date.now();
    const built = await buildDarwin(arch);
    for (const line of describe(arch, built, (Date.now() - started) / 1000)) console.log(line);
    failed = failed || built.report.problems.length > 0;
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  }, (err) => {
    process.stderr.write(`build-darwin: ${err.message}\n`);
    process.exitCode = err instanceof Unavailable ? NO_TOOLCHAIN : 1;
  });
}

module.exports = { buildDarwin, describe, machO, check, Unavailable, NO_TOOLCHAIN, ARCHS };
