// What the cross builds of the prebuilds share (prebuild.js, build-darwin.js): zig, their C and C++
// compiler for Linux (an old glibc) and macOS, which is PyPI's ziglang, pinned, installed on first
// use into a venv of its own in the per-user cache (a venv, because many systems refuse
// `pip install` outside one), or the zig that $ZIG names; binding.gyp's addon target; N-API's headers.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { cacheDir } = require('./go-toolchain');

const root = path.join(__dirname, '..');

// The version the builds were made to work with: zig's linkers still move between releases.
const ZIGLANG = '0.17.1';
// The exit status of a build script whose toolchain is missing, as against one that failed.
const NO_TOOLCHAIN = 3;

class Unavailable extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { ok: !r.error && r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}`.trim(), error: r.error };
}

function must(what, cmd, args, opts) {
  const r = run(cmd, args, opts);
  if (!r.ok) throw new Error(`${what} failed: ${cmd} ${args.join(' ')}\n${r.error ? r.error.message : r.out}`);
  return r.out;
}

/** zig as an argv prefix ([zig] or [python, -m, ziglang]); throws Unavailable when it cannot be had. */
function findZig(env = process.env) {
  if (env.ZIG) return [env.ZIG];
  const venv = path.join(cacheDir(env), `ziglang-${ZIGLANG}`);
  const python = path.join(venv, 'bin', 'python');
  const zig = [python, '-m', 'ziglang'];
  if (run(zig[0], [...zig.slice(1), 'version']).ok) return zig;
  const py = ['python3', 'python'].find((p) => run(p, ['--version'], { env }).ok);
  if (!py) throw new Unavailable('zig is needed: no python3 on PATH to install PyPI\'s ziglang with (or set ZIG to a zig executable)');
  console.error(`installing ziglang ${ZIGLANG} into ${venv}`);
  const venvMade = run(py, ['-m', 'venv', '--clear', venv], { env });
  if (!venvMade.ok) throw new Unavailable(`zig is needed: python cannot make a venv (python3-venv missing?): ${venvMade.out}`);
  const pip = run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', `ziglang==${ZIGLANG}`], { env, stdio: ['ignore', 2, 2] });
  if (!pip.ok) throw new Unavailable(`zig is needed: pip install ziglang==${ZIGLANG} failed (no network to PyPI?)`);
  must('zig', zig[0], [...zig.slice(1), 'version']);
  return zig;
}

/** The addon's sources, defines and flags, as binding.gyp lists them (JSON plus # comment lines). */
function addonTarget() {
  const text = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  let gyp;
  try {
    gyp = JSON.parse(text);
  } catch (err) {
    throw new Error(`binding.gyp must stay JSON with # comment lines for the cross builds to read it: ${err.message}`);
  }
  return gyp.targets.find((t) => t.target_name === 'node_libsharedmemory');
}

/**
 * N-API's C headers: those of the running Node's installation, else node-gyp's download, else the
 * node-api-headers package (a dev dependency). One N-API build serves every Node version
 * (NAPI_VERSION in binding.gyp), so any Node's headers do.
 */
function nodeApiInclude() {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  try {
    candidates.push(require('node-api-headers').include_dir);
  } catch {}
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!found) throw new Unavailable(`no node_api.h in ${candidates.join(', ')} (npm install --no-save node-api-headers)`);
  return found;
}

/** An argv as one string for Go's CC, which splits on spaces and honours quotes. */
const quote = (args) => args.map((a) => `'${a}'`).join(' ');

module.exports = { findZig, run, must, quote, addonTarget, nodeApiInclude, Unavailable, NO_TOOLCHAIN, ZIGLANG };
