// The module loads, from its package entry point, with the addon and the export surface of
// node-libsharedmemory 0.0.9 (SPEC §2.1) plus unlink().
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');

describe('00 load', () => {
  it('the built addon is present and the package entry point loads it (the prebuild under PREBUILDS_ONLY=1)', () => {
    // Windows is cross-built (npm run build:windows) into build/win32-x64, which comes first.
    const folder = process.platform === 'win32' ? `win32-${process.arch}` : 'Release';
    let addon = path.join(__dirname, '..', 'build', folder, 'node_libsharedmemory.node');
    assert.ok(fs.existsSync(addon), `${addon} is missing: run ${process.platform === 'win32' ? 'npm run build:windows' : 'npx node-gyp build'}`);
    if (process.env.PREBUILDS_ONLY && process.platform !== 'win32') {
      const tag = process.platform === 'linux' ? '.glibc' : '';
      addon = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, `node.napi${tag}.node`);
    }
    assert.strictEqual(require('../lib/native').file, addon);
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

describe('00 load: the facts shared with the engine', () => {
  const native = require('../lib/native');
  const libDir = path.join(__dirname, '..', 'lib');

  it('the addon hands over goshm.h constants with the values of the SPEC', () => {
    const c = native.constants;
    assert.ok(Object.isFrozen(c));
    const expected = {
      FLAG_CHANGED: 1, TYPE_STRING: 2, TYPE_FLOAT: 4, TYPE_DOUBLE: 8, TYPE_BYTES: 16,
      LAYOUT_V0: 0, LAYOUT_V1: 1, LAYOUT_V2: 2,
      V2_DATA: 20, V1_DATA: 5, QUEUE_HEADER_V2: 28, QUEUE_HEADER_V1: 20, QUEUE_SLOT_HEAD: 4,
      MAX_SIZE: 0xffffffff,
      MAX_NAME_BYTES: process.platform === 'darwin' ? 30 : 255,
    };
    for (const [k, v] of Object.entries(expected)) assert.strictEqual(c[k], v, k);
  });

  it('the public constants are the addon\'s', () => {
    const api = require('..');
    const c = native.constants;
    assert.strictEqual(api.kMemoryChanged, c.FLAG_CHANGED);
    assert.strictEqual(api.kMemoryTypeString, c.TYPE_STRING);
    assert.strictEqual(api.kMemoryTypeFloat, c.TYPE_FLOAT);
    assert.strictEqual(api.kMemoryTypeDouble, c.TYPE_DOUBLE);
    assert.strictEqual(api.kMemoryTypeBuffer, c.TYPE_BYTES);
  });

  it('lib/ spells none of those facts itself', () => {
    // The literals that would betray a copy: the name limit, the u32 size limit, header sizes in
    // arithmetic, a number given to a name of a bit, flag, layout, field, query or kind.
    const copies = /\b(255|4294967295|0xffffffff)\b|\b(20|28)\s*\+|(?<![.\w])(kMemory\w*|[A-Z_]*(TYPE|FLAG|OPEN|LAYOUT|FIELD|QUERY|KIND)[A-Z_]*)\s*[:=]\s*\d|\bv[012]\s*:\s*\d/;
    for (const file of fs.readdirSync(libDir).filter((f) => f.endsWith('.js'))) {
      const lines = fs.readFileSync(path.join(libDir, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return; // comments may name a value
        assert.ok(!copies.test(line), `${file}:${i + 1} looks like a copy of a goshm.h fact: ${line.trim()}`);
      });
    }
  });
});
