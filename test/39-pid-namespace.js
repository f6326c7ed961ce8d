// Lock recovery across PID namespaces (README, Decisions: the lock stores the holder's process id;
// Limits: PID namespaces). A writer in a PID namespace of its own (a container that shares
// /dev/shm but not its PIDs) holds the v2 lock under a pid that is no process here: a writer here
// must not take that live lock over (it times out with ERR_SHM_LOCK_TIMEOUT and the holder's payload
// stays; the same for a queue's producer and consumer locks), and once the holder is killed its
// lock is taken over as any dead holder's. Needs root
// (unshare --pid, and /proc/sys/kernel/ns_last_pid to give the holder a pid that is dead here).
'use strict';
const assert = require('assert');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { api, useSegments, readSegment, linuxOnly, thrown } = require('./helpers');

const LOCK = 16;
const QUEUE_LOCKS = { producer: 20, consumer: 24 };
const HOLDER = path.join(__dirname, 'fixtures', 'pidns-holder.js');

/** Whether pid names a process in this PID namespace. */
function existsHere(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code !== 'ESRCH';
  }
}

/** A pid that no process has here right now: that of a child that exited and was reaped. */
function deadPidHere() {
  for (let i = 0; i < 10; i++) {
    const { pid } = spawnSync('true');
    if (pid > 2 && !existsHere(pid)) return pid;
  }
  return 0;
}

/**
 * Starts test/fixtures/pidns-holder.js in a new PID namespace (unshare --kill-child: killing
 * unshare kills the whole namespace), arranged so that the holder's pid there is one that is dead
 * here: the case that made an older version take a live lock over. Resolves with { pid, kill,
 * release, exited } once the holder holds the lock, or with { skip: reason }.
 */
function startHolder(name, kind, payload) {
  const wanted = deadPidHere();
  if (!wanted) return Promise.resolve({ skip: 'no free pid found here' });
  // sh is pid 1 of the namespace; it makes the next pid there `wanted` and runs node as a child
  // ("; exit" keeps sh from exec'ing node, which would leave it pid 1).
  const script = `echo ${wanted - 1} > /proc/sys/kernel/ns_last_pid; "$0" "$@"; exit $?`;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child',
    'sh', '-c', script, process.execPath, HOLDER, name, kind, payload], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => {
    let out = '';
    child.once('error', (err) => resolve({ skip: `unshare cannot run: ${err.message}` }));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const { pid } = JSON.parse(out.slice(0, nl));
      resolve({
        pid,
        exited,
        kill: () => { child.kill('SIGKILL'); return exited; },
        release: () => { child.stdin.end(); return exited; },
      });
    });
    exited.then(({ code, signal }) => resolve({ skip: `unshare --pid failed (code ${code}, signal ${signal}): ${stderr.trim()}` }));
  });
}

function lockWord(name, at = LOCK) {
  return readSegment(name).readUInt32LE(at);
}

describe('39 lock holders in another PID namespace', function () {
  this.timeout(20000);
  const res = useSegments();
  let holder = null;
  afterEach(async () => {
    if (holder && holder.kill) await holder.kill();
    holder = null;
  });

  async function holderOrSkip(ctx, name, payload, kind = 'stream') {
    linuxOnly(ctx, 'PID namespaces');
    holder = await startHolder(name, kind, payload);
    if (holder.skip) {
      console.log(`      skipped: ${holder.skip}`);
      ctx.skip();
    }
    // The point of the test: from here, the holder's pid is no live process. (Only if setting
    // ns_last_pid did not work, or a process here took that pid meanwhile, is it one.)
    if (existsHere(holder.pid)) {
      console.log(`      skipped: the holder's pid ${holder.pid} (in its namespace) is a live process here too`);
      ctx.skip();
    }
    assert.strictEqual(lockWord(name, QUEUE_LOCKS[kind] || LOCK), holder.pid, 'the holder stored its pid in the lock word');
    return holder;
  }

  it('a live holder whose pid is dead here: a writer here is refused (ERR_SHM_LOCK_TIMEOUT after lockTimeout 300), never takes the lock over, and the payload stays the holder\'s', async function () {
    const name = res.name('pidns-live');
    res.writer(name, 4096, true).writeString('before');
    const h = await holderOrSkip(this, name, 'the holder wrote this');
    const writer = res.writer(name, 4096, true, { lockTimeout: 300, reset: false });
    const reader = res.reader(name, undefined, true, { lockTimeout: 300 });
    for (let round = 0; round < 2; round++) {
      const t0 = Date.now();
      let err = null;
      try {
        writer.writeString('a writer in the parent namespace');
      } catch (e) {
        err = e;
      }
      const took = Date.now() - t0;
      assert.ok(err, `round ${round}: write() succeeded after ${took} ms: it took over the live lock of pid ${h.pid} in another PID namespace`);
      assert.strictEqual(err.code, 'ERR_SHM_LOCK_TIMEOUT', `${err.code}: ${err.message}`);
      assert.ok(took >= 290, `gave up after ${took} ms, before lockTimeout`);
      assert.match(err.message, new RegExp(`process ${h.pid}\\b`));
      assert.strictEqual(lockWord(name), h.pid, 'the lock word still names the holder');
    }
    // The holder releases: its payload is there, whole, and the writer here gets in at once.
    await h.release();
    holder = null;
    assert.strictEqual(reader.readString(), 'the holder wrote this');
    writer.writeString('after');
    assert.strictEqual(reader.readString(), 'after');
  });

  it('the same holder SIGKILLed (its namespace killed): its lock is taken over within 1 s, as a dead holder\'s in this namespace', async function () {
    const name = res.name('pidns-dead');
    res.writer(name, 4096, true).writeString('before');
    const h = await holderOrSkip(this, name, 'half written');
    const writer = res.writer(name, 4096, true, { lockTimeout: 5000, reset: false });
    await h.kill();
    holder = null;
    assert.strictEqual(lockWord(name), h.pid, 'the dead holder left the lock word set');
    const t0 = Date.now();
    writer.writeString('after the takeover');
    const took = Date.now() - t0;
    assert.ok(took < 1000, `took ${took} ms`);
    assert.strictEqual(lockWord(name), 0);
    assert.strictEqual(res.reader(name).readString(), 'after the takeover');
  });

  for (const side of ['producer', 'consumer']) {
    it(`a queue's ${side} lock held live from another PID namespace: ${side === 'producer' ? 'enqueue' : 'dequeue'} here times out (lockTimeout 300) and the lock stays the holder's; released, the queue goes on`, async function () {
      const name = res.name(`pidns-${side}`);
      const q = res.track(new api.NodeSharedMemoryQueue(name, 4, 16, true, true, { lockTimeout: 300 }));
      q.enqueue('first');
      const h = await holderOrSkip(this, name, 'holder', side);
      const t0 = Date.now();
      const err = thrown(() => (side === 'producer' ? q.enqueue('intruder') : q.dequeue()), `${side} operation`);
      const took = Date.now() - t0;
      assert.strictEqual(err.code, 'ERR_SHM_LOCK_TIMEOUT', `${err.code}: ${err.message}`);
      assert.ok(took >= 290, `gave up after ${took} ms`);
      assert.match(err.message, new RegExp(`${side} lock .* process ${h.pid}\\b`));
      assert.strictEqual(lockWord(name, QUEUE_LOCKS[side]), h.pid);
      await h.release();
      holder = null;
      assert.deepStrictEqual([q.dequeue(), q.dequeue(), q.dequeue()], ['first', 'holder', undefined]);
    });
  }
});
