// Prints the files the Go engine is built from, one per line, for binding.gyp's action inputs:
// editing any of them makes `node-gyp build` rebuild libgoshm.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const out = ['go.mod', 'go.sum'];
(function walk(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testdata') walk(rel);
    } else if (/\.(go|h|c)$/.test(entry.name) && !entry.name.endsWith('_test.go')) {
      out.push(rel);
    }
  }
})('goshm');
process.stdout.write(out.join('\n') + '\n');
