// The module loads, from its package entry point, with the addon and the export surface of
// node-libsharedmemory 0.0.9 (SPEC §2.1) plus unlink().
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');

describe('00 load', () => {
  it('the built addon is present and the package entry point loads it', () => {
    const addon = path.join(__dirname, '..', 'build', 'Release', 'node_libsharedmemory.node');
    assert.ok(fs.existsSync(addon), `${addon} is missing: run npx node-gyp build`);
    const pkg = require('../package.json');
    const api = require(path.join(__dirname, '..', pkg.main));
    assert.strictEqual(api, require('..'));
  });

  it('exports the two stream classes, unlink and the four constants', () => {
    const api = require('..');
    assert.strictEqual(typeof api.NodeSharedMemoryWriteStream, 'function');
    assert.strictEqual(typeof api.NodeSharedMemoryReadStream, 'function');
    assert.strictEqual(typeof api.unlink, 'function');
    for (const k of ['kMemoryChanged', 'kMemoryTypeString', 'kMemoryTypeFloat', 'kMemoryTypeDouble']) {
      assert.strictEqual(typeof api[k], 'number', k);
    }
  });

  it('the original method names exist on the prototypes', () => {
    const { NodeSharedMemoryWriteStream: W, NodeSharedMemoryReadStream: R } = require('..');
    for (const m of ['writeString', 'writeFloatArray', 'writeDoubleArray', 'readFlags', 'close']) {
      assert.strictEqual(typeof W.prototype[m], 'function', `writer.${m}`);
    }
    for (const m of ['readString', 'readFloatArray', 'readDoubleArray', 'readFlags', 'close']) {
      assert.strictEqual(typeof R.prototype[m], 'function', `reader.${m}`);
    }
  });
});
