// Issue 9, item 5: a FIFO, a Unix socket or a directory planted under a segment's name by any local
// user. A read-only open of a FIFO used to block forever in open(2) (v1/v0 readers, a readOnly v2
// reader, SharedMemory.open readOnly), freezing the event loop; every way of opening must now
// return at once and refuse what is not a regular file with ERR_SHM_LAYOUT, naming what it found,
// and leave the planted object where it is. Each open runs in its own child process with a time
// bound, so a hang fails the test instead of hanging mocha.
'use strict';
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { execFileSync, spawn } = require('child_process');
const { uniqueName, segmentFile, linuxOnly } = require('./helpers');

const CHILD = path.join(__dirname, 'fixtures', 'hostile-open-child.js');
const WAYS = JSON.parse(execFileSync(process.execPath, [CHILD, '', '--list'], { encoding: 'utf8' }));
// Opening takes milliseconds; the bound covers a loaded machine starting Node.
const BOUND_MS = 5000;

/** Runs one open in a child; resolves with its JSON result, or { hung: true } past the bound. */
function openInChild(name, way) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, name, way], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ hung: true });
      else if (code !== 0 || !stdout) resolve({ died: `code ${code}, signal ${signal}: ${stderr}` });
      else resolve(JSON.parse(stdout));
    });
  });
}

// What is planted, how, how it is removed, and the word the error message must use for it.
const PLANTS = [
  {
    what: 'FIFO',
    plant: async (file) => { execFileSync('mkfifo', ['-m', '0666', file]); },
    isIt: (st) => st.isFIFO(),
  },
  {
    what: 'socket',
    plant: (file) => new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(file, () => resolve(() => new Promise((done) => server.close(done))));
    }),
    isIt: (st) => st.isSocket(),
  },
  {
    what: 'directory',
    plant: async (file) => { fs.mkdirSync(file, { mode: 0o777 }); },
    isIt: (st) => st.isDirectory(),
  },
];

describe('87 hostile objects under a segment name: every open returns at once and refuses them', function () {
  this.timeout(120000);
  before(function () {
    linuxOnly(this, 'FIFOs, sockets and directories are planted in the segment directory');
  });

  for (const { what, plant, isIt } of PLANTS) {
    it(`a ${what} under the name: each of the ${WAYS.length} ways of opening throws ERR_SHM_LAYOUT within ${BOUND_MS} ms and leaves it there`, async () => {
      const name = uniqueName(what);
      const file = segmentFile(name);
      const stop = await plant(file);
      try {
        // One at a time: a writer's read-write open of a FIFO would let a concurrent reader's
        // open through, hiding the hang the test is for.
        const results = [];
        for (const way of WAYS) results.push(await openInChild(name, way));
        const wrong = [];
        WAYS.forEach((way, i) => {
          const r = results[i];
          if (r.hung) wrong.push(`${way}: no answer within ${BOUND_MS} ms (blocked in open?)`);
          else if (r.died) wrong.push(`${way}: the child died (${r.died})`);
          else if (r.opened) wrong.push(`${way}: opened the ${what}`);
          else if (r.code !== 'ERR_SHM_LAYOUT' || !r.message.includes(what) || !r.message.includes(name) || r.segment !== name) {
            wrong.push(`${way}: ${r.code}: ${r.message}`);
          }
        });
        assert.deepStrictEqual(wrong, [], `\n${wrong.join('\n')}`);
        assert.ok(isIt(fs.lstatSync(file)), `the ${what} is still there, as it was`);
      } finally {
        if (typeof stop === 'function') await stop();
        fs.rmSync(file, { force: true, recursive: true });
      }
    });
  }
});
