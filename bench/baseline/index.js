// Loads the baseline addon (baseline.cc), building it first when it is missing or older than its
// source. Returns the addon, or a string saying why there is none (the cases then skip with it).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const addon = path.join(__dirname, 'build', 'Release', 'baseline.node');
const source = path.join(__dirname, 'baseline.cc');
let loaded;

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function load() {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') {
    loaded = `the baseline addon maps segments with POSIX shm_open and is built on Linux only (${process.platform})`;
    return loaded;
  }
  if (mtime(addon) < mtime(source)) {
    // Through npx, so that npm's configuration (nodedir, for an offline build) reaches node-gyp.
    const root = path.join(__dirname, '..', '..');
    const r = spawnSync('npx', ['--no-install', 'node-gyp', 'rebuild', '--directory', __dirname],
      { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
    if (r.status !== 0) {
      const last = `${r.stderr || ''}${r.error ? r.error.message : ''}`.trim().split('\n').slice(-1)[0];
      loaded = `the baseline addon did not build (${last || `node-gyp exited with ${r.status}`})`;
      return loaded;
    }
  }
  loaded = require(addon);
  return loaded;
}

module.exports = { load };
