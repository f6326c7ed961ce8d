// Issue 9 item 3: a huge but valid payload read under a memory limit is an ENOMEM Error that changes
// nothing (the reader still has the value to read, the message stays in the queue), never
// std::bad_alloc or V8's fatal "Allocation failed". Each read runs in a child whose address space
// is lowered, after mapping the segment, to what it maps plus a fraction of the payload.
'use strict';
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { linuxOnly, uniqueName, removeSegment } = require('./helpers');

const fixtures = path.join(__dirname, 'fixtures');
const BYTES = 256 << 20;

function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// Runs `method` in a child with `headroom` payloads of address space beyond what it maps.
function readUnderLimit(kind, name, method, headroom) {
  const run = spawnSync(process.execPath,
    [path.join(fixtures, 'memory-limit-child.js'), kind, name, String(BYTES), method, String(headroom)],
    { encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(run.signal, null, `${method}: the child died of ${run.signal}: ${run.stderr.slice(-1500)}`);
  assert.strictEqual(run.status, 0, `${method}: ${run.stderr.slice(-1500)}`);
  return JSON.parse(run.stdout);
}

describe('47 huge payloads under a memory limit', function () {
  this.timeout(120000);
  const stream = uniqueName('memlimit-stream');
  const queue = uniqueName('memlimit-queue');

  before(function () {
    linuxOnly(this, 'sets the address-space limit of a running child with prlimit(1)');
    if (!commandExists('prlimit')) {
      console.log('      SKIPPED: prlimit(1) (util-linux) is not installed');
      this.skip();
    }
    for (const [kind, name] of [['stream', stream], ['queue', queue]]) {
      const run = spawnSync(process.execPath, [path.join(fixtures, 'memory-limit-writer.js'), kind, name, String(BYTES)],
        { encoding: 'utf8' });
      assert.strictEqual(run.status, 0, run.stderr);
    }
  });
  after(() => {
    removeSegment(stream);
    removeSegment(queue);
  });

  for (const method of ['readBuffer', 'readFloatArray', 'readDoubleArray', 'read']) {
    it(`${method}() of a ${BYTES >> 20} MiB payload with half of it left is ENOMEM and the value stays unread`, () => {
      const out = readUnderLimit('stream', stream, method, 0.5);
      assert.strictEqual(out.before, true);
      assert.strictEqual(out.code, 'ENOMEM', `${method} returned ${out.result}: ${out.message}`);
      assert.strictEqual(out.name, 'Error');
      assert.match(out.message, new RegExp(`${BYTES} bytes`));
      assert.strictEqual(out.after, true, 'the failed read marked the value as read');
      assert.strictEqual(out.small, 1 << 20, 'the process still allocates');
    });
  }

  for (const method of ['readBuffer', 'readFloatArray', 'read']) {
    it(`${method}() needs the payload's size once, not twice (room for 1.5 payloads is enough)`, () => {
      const out = readUnderLimit('stream', stream, method, 1.5);
      assert.strictEqual(out.code, undefined, `${method}: ${out.code} ${out.message}`);
      assert.strictEqual(out.result, method === 'readFloatArray' ? BYTES / 4 : BYTES);
      assert.strictEqual(out.after, false);
    });
  }

  for (const method of ['peek', 'dequeue']) {
    it(`queue ${method}() of a ${BYTES >> 20} MiB 'buffer' message with half of it left is ENOMEM and the message stays`, () => {
      const out = readUnderLimit('queue', queue, method, 0.5);
      assert.strictEqual(out.before, 1);
      assert.strictEqual(out.code, 'ENOMEM', `${method} returned ${out.result}: ${out.message}`);
      assert.match(out.message, /left in the queue/);
      assert.strictEqual(out.after, 1, 'the failed take removed the message');
      assert.strictEqual(out.small, 1 << 20);
    });
  }
});

describe('47 large values are freed as soon as they are dropped', () => {
  it('2000 reads of 1 MiB values (typed arrays and Buffers) in one synchronous loop keep the memory flat', function () {
    this.timeout(60000);
    const name = uniqueName('memflat');
    // Values whose memory is freed only by a deferred finalizer pile up in a loop that never yields:
    // 2000 × 2 MiB would be 4 GiB. The garbage collector frees V8's own memory at once.
    const script = `
      const lib = require(${JSON.stringify(path.join(__dirname, '..'))});
      const w = new lib.NodeSharedMemoryWriteStream(${JSON.stringify(name)}, 2 << 20, false);
      const r = new lib.NodeSharedMemoryReadStream(${JSON.stringify(name)});
      w.writeDoubleArray(new Float64Array(131072));
      const before = process.memoryUsage().rss;
      let peak = before;
      for (let i = 0; i < 2000; i++) {
        r.readDoubleArray();
        r.readBuffer();
        if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
      r.close(); w.close();
      process.stdout.write(JSON.stringify({ growth: peak - before }));
    `;
    try {
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 50000 });
      assert.strictEqual(run.signal, null, `the child died of ${run.signal}`);
      assert.strictEqual(run.status, 0, run.stderr);
      const { growth } = JSON.parse(run.stdout);
      assert.ok(growth < 512 << 20, `the resident size grew by ${(growth / 1048576).toFixed(0)} MiB`);
    } finally {
      removeSegment(name);
    }
  });
});
