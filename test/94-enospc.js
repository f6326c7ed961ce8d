// SPEC §4 Space: pages are reserved when a segment is created, so a full /dev/shm is ENOSPC at
// creation, never a SIGBUS at the first write. A child runs in its own mount namespace with a
// 64 KiB tmpfs on /dev/shm (needs root or CAP_SYS_ADMIN, which CI has).
'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const { linuxOnly } = require('./helpers');

const child = path.join(__dirname, 'fixtures', 'enospc-child.js');

function canUnshare() {
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /dev/shm'], { encoding: 'utf8' });
  return probe.status === 0 ? null : (probe.error ? probe.error.message : probe.stderr.trim());
}

describe('94 a full /dev/shm', () => {
  it('creating a segment larger than the free space is ENOSPC at once, leaving nothing; one that fits works', function () {
    linuxOnly(this, 'mounts a private tmpfs on /dev/shm in a mount namespace (unshare -m)');
    const why = canUnshare();
    if (why !== null) {
      console.log(`      SKIPPED: cannot make a private /dev/shm here (unshare -m + mount need root): ${why}`);
      this.skip();
    }
    const run = spawnSync('unshare', ['-m', 'sh', '-c',
      `mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "${process.execPath}" "${child}"`], { encoding: 'utf8' });
    assert.strictEqual(run.signal, null, `the child died of ${run.signal}: ${run.stderr}`);
    assert.strictEqual(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.strictEqual(out.big, 'ENOSPC', `a 1 MiB stream on a 64 KiB /dev/shm: ${out.big} ${out.bigMessage || ''}`);
    assert.match(out.bigMessage, /enospc-big/, 'the message names the segment');
    assert.strictEqual(out.raw, 'ENOSPC');
    assert.deepStrictEqual(out.left, [], 'a failed creation left a file behind');
    assert.strictEqual(out.small, 16 * 1024 - 20);
  });
});
