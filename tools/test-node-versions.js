// npm run test:node-versions: the mocha suite on each Node.js version people run besides the one
// running npm (the official builds from the npm packages node-linux-<arch>@<version>, fetched once
// into the per-user cache), against the prebuild the tarball ships for this platform
// (PREBUILDS_ONLY=1, node-gyp-build's switch; made first if it is older than its sources), where
// `npm test` tested the node-gyp build. Nothing is rebuilt per version: one N-API build serves
// them all, which is what this proves. A version's `node` is first on PATH, so the fixtures' child
// processes run it too.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { nodeBinary } = require('./node-binary');

// The newest 22 and 24 on the registry when this was written; engines in package.json says >=20.
const VERSIONS = ['22.23.5', '24.22.3'];
const root = path.join(__dirname, '..');
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
if (process.platform !== 'linux' || !arch) {
  console.error(`test:node-versions: only on Linux x64/arm64, skipped on ${process.platform}-${process.arch}`);
  process.exit(0);
}

const prebuild = spawnSync(process.execPath, ['tools/prebuild.js', '--if-stale', `linux-${arch}`], { cwd: root, stdio: 'inherit' });
if (prebuild.status !== 0) process.exit(prebuild.status || 1);

/**
 * Runs mocha under node, passing its output through as it comes and keeping it: when a version
 * fails, its list of failures is printed again at the very end, where a CI log's tail shows it
 * (the next version's run would otherwise push it out of sight).
 */
function mocha(bin) {
  return new Promise((resolve) => {
    const child = spawn(path.join(bin, 'node'), [require.resolve('mocha/bin/mocha.js'), ...process.argv.slice(2)], {
      cwd: root,
      stdio: ['inherit', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PREBUILDS_ONLY: '1' },
    });
    const chunks = [];
    child.stdout.on('data', (c) => { chunks.push(c); process.stdout.write(c); });
    child.stderr.on('data', (c) => { chunks.push(c); process.stderr.write(c); });
    child.on('error', (err) => resolve({ status: null, output: String(err) }));
    child.on('close', (status, signal) => resolve({ status, signal, output: Buffer.concat(chunks).toString() }));
  });
}

/** The Spec reporter's epilogue from "N failing" on, or the last 40 lines when there is none. */
function failures(output) {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => /^\s+\d+ failing/.test(l));
  return lines.slice(at >= 0 ? at : Math.max(0, lines.length - 40)).join('\n');
}

async function main() {
  const failed = [];
  for (const version of VERSIONS) {
    const node = nodeBinary(`node-linux-${arch}@${version}`);
    // A copy in a folder anyone may enter: the foreign-owner tests run it as a throwaway user, who
    // cannot reach into this user's cache.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), `lsm-node-${version}-`));
    fs.chmodSync(bin, 0o755);
    fs.copyFileSync(node, path.join(bin, 'node'));
    fs.chmodSync(path.join(bin, 'node'), 0o755);
    console.error(`\n=== mocha on Node.js ${version} (${node}), against prebuilds/linux-${arch}`);
    const started = Date.now();
    const r = await mocha(bin);
    fs.rmSync(bin, { recursive: true, force: true });
    const how = r.status === 0 ? 'passed' : `FAILED (${r.signal ? `killed by ${r.signal}` : `status ${r.status}`})`;
    console.error(`=== Node.js ${version}: ${how} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (r.status !== 0) failed.push({ version, output: r.output });
  }
  for (const f of failed) console.error(`\n=== what failed on Node.js ${f.version}:\n${failures(f.output)}`);
  if (failed.length) console.error(`\n=== test:node-versions: failed on Node.js ${failed.map((f) => f.version).join(', ')}`);
  process.exit(failed.length ? 1 : 0);
}

main();
