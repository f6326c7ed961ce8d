// Issue 9, item 7: name squatting. A local user creates a segment's name first, mode 0666; a
// process of another user (root here) then opening a writer, a queue or SharedMemory.create on that
// name used to attach silently, so the squatter read what it wrote and injected values and queue
// jobs it consumed. Writers, both queue ends and create now refuse a segment owned by another user
// (EPERM, naming the owner and the mode) and leave it exactly as it was, unless told
// allowForeignOwner; readers still attach (reading a peer's segment is the normal cross-user case),
// and a segment of our own user is accepted whatever its mode (a libsharedmemory peer makes 0777).
'use strict';
const assert = require('assert');
const fs = require('fs');
const { spawnSync } = require('child_process');
const {
  api, useSegments, segmentFile, readSegment, writeSegmentFile, segmentMode, thrown, u32, linuxOnly,
} = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue, SharedMemory } = api;

// A squatted queue: capacity 4, maxMessageSize 16, in layout v2 (28-byte header, 4 slots of 4 + 16).
const QUEUE_CAPACITY = 4;
const QUEUE_MAX = 16;
function queueImage() {
  const img = Buffer.alloc(28 + QUEUE_CAPACITY * (4 + QUEUE_MAX));
  u32(QUEUE_CAPACITY).copy(img, 8);
  u32(QUEUE_MAX).copy(img, 16);
  return img;
}

function run(cmd, args) {
  return spawnSync(cmd, args, { encoding: 'utf8' });
}

/** Every way of opening that must refuse another user's segment, with its name. */
function refusingOpeners(name) {
  return [
    ['writer v2', () => new Writer(name, 4096, true)],
    ['writer v2, persistent false', () => new Writer(name, 4096, false)],
    ['writer v2 growing the segment', () => new Writer(name, 1 << 20, true)],
    ['writer v1', () => new Writer(name, 4096, true, { layout: 'v1' })],
    ['writer v0', () => new Writer(name, 4096, true, { layout: 'v0' })],
    ['SharedMemory.create mode 0600', () => SharedMemory.create(name, 4096, { mode: 0o600 })],
    ['SharedMemory.create persistent false', () => SharedMemory.create(name, 1 << 20, { persistent: false })],
    ['queue writer', () => new Queue(name, QUEUE_CAPACITY, QUEUE_MAX, true, true)],
    ['queue writer, persistent false', () => new Queue(name, QUEUE_CAPACITY, QUEUE_MAX, false, true)],
    ['queue reader (isWriter false)', () => new Queue(name, undefined, undefined, true, false)],
  ];
}

describe('88 name squatting: writers, queues and create refuse another user\'s segment', function () {
  this.timeout(30000);
  const res = useSegments();

  describe('with a throwaway local user as the squatter', () => {
    const user = `nlsmsq${process.pid}`;
    let uid;

    before(function () {
      linuxOnly(this, 'POSIX owners and modes of /dev/shm files');
      const why = typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'needs root, to create a user and act as another one'
        : run('useradd', ['--version']).error ? 'useradd is not installed'
          : run('runuser', ['--version']).error ? 'runuser is not installed' : null;
      if (why) {
        console.log(`      skipped: ${why}`);
        this.skip();
      }
      const made = run('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', user]);
      if (made.status !== 0) {
        console.log(`      skipped: useradd ${user} failed: ${made.stderr.trim()}`);
        this.skip();
      }
      uid = Number(run('id', ['-u', user]).stdout);
    });

    after(() => {
      if (uid !== undefined) run('userdel', [user]);
    });

    /** Creates the segment's file as the squatter, mode 0666, holding img. */
    function squat(name, img) {
      const script = "const fs = require('fs'); const [file, hex] = process.argv.slice(1);" +
        "fs.writeFileSync(file, Buffer.from(hex, 'hex'), { mode: 0o666 }); fs.chmodSync(file, 0o666);";
      const r = run('runuser', ['-u', user, '--', process.execPath, '-e', script, segmentFile(name), img.toString('hex')]);
      assert.strictEqual(r.status, 0, `the squatter could not create the segment: ${r.stderr}`);
      const st = fs.statSync(segmentFile(name));
      assert.strictEqual(st.uid, uid);
      assert.strictEqual(st.mode & 0o777, 0o666);
    }

    it('writers of each layout, both queue ends and SharedMemory.create throw EPERM naming the owner and the mode; the segment is left exactly as it was', () => {
      const stream = res.name('squat');
      const queue = res.name('squat-q');
      const streamImg = Buffer.alloc(8192, 0x5a);
      squat(stream, streamImg);
      squat(queue, queueImage());
      const refused = [
        ...refusingOpeners(stream).filter(([way]) => !way.startsWith('queue')).map((o) => [...o, stream, streamImg]),
        ...refusingOpeners(queue).filter(([way]) => way.startsWith('queue')).map((o) => [...o, queue, queueImage()]),
      ];
      for (const [way, open, name, img] of refused) {
        const err = thrown(open, way);
        assert.ok(err instanceof Error, way);
        assert.strictEqual(err.code, 'EPERM', `${way}: ${err.code}: ${err.message}`);
        assert.strictEqual(err.segment, name, way);
        assert.strictEqual(err.syscall, 'open', way);
        for (const part of [name, `user ${uid}`, '0666', 'allowForeignOwner']) {
          assert.ok(err.message.includes(part), `${way}: message ${JSON.stringify(err.message)} does not say ${part}`);
        }
        const st = fs.statSync(segmentFile(name));
        assert.strictEqual(st.uid, uid, `${way}: owner changed`);
        assert.strictEqual(st.mode & 0o777, 0o666, `${way}: mode changed`);
        assert.deepStrictEqual(readSegment(name), img, `${way}: the bytes or the size changed`);
      }
    });

    it('readers still attach to another user\'s segment: NodeSharedMemoryReadStream (v2, readOnly, v1) and SharedMemory.open', () => {
      const name = res.name('squat-read');
      const w = new Writer(res.name('squat-read-img'), 64, false);
      w.writeString('from the other user');
      const img = readSegment(w.name);
      w.close();
      squat(name, img);
      for (const open of [
        () => new Reader(name),
        () => new Reader(name, undefined, true, { readOnly: true }),
      ]) {
        const r = open();
        assert.strictEqual(r.readString(), 'from the other user');
        r.close();
      }
      new Reader(name, undefined, true, { layout: 'v1' }).close();
      for (const opts of [{}, { readOnly: true }]) {
        const shm = SharedMemory.open(name, opts);
        assert.strictEqual(shm.size, img.length);
        shm.close();
      }
    });

    it('allowForeignOwner: true lets a writer, both queue ends and SharedMemory.create attach', () => {
      const stream = res.name('squat-opt');
      const queue = res.name('squat-opt-q');
      squat(stream, Buffer.alloc(4096));
      squat(queue, queueImage());
      const opt = { allowForeignOwner: true };
      const w = new Writer(stream, 4096, true, opt);
      w.writeString('opted in');
      const r = new Reader(stream);
      assert.strictEqual(r.readString(), 'opted in');
      r.close();
      w.close();
      SharedMemory.create(stream, 4096, opt).close();
      const producer = new Queue(queue, QUEUE_CAPACITY, QUEUE_MAX, true, true, opt);
      const consumer = new Queue(queue, undefined, undefined, true, false, opt);
      assert.strictEqual(producer.enqueue('job'), true);
      assert.strictEqual(consumer.dequeue(), 'job');
      producer.close();
      consumer.close();
      assert.strictEqual(fs.statSync(segmentFile(stream)).uid, uid, 'attaching changes no owner');
    });
  });

  describe('segments of our own user', () => {
    before(function () {
      linuxOnly(this, 'POSIX modes of /dev/shm files');
    });

    it('one made 0777 (as a libsharedmemory peer of the same user makes them) is accepted by writers, queues and create, and keeps its mode', () => {
      const stream = res.name('own-0777');
      const queue = res.name('own-0777-q');
      writeSegmentFile(stream, Buffer.alloc(8192));
      writeSegmentFile(queue, queueImage());
      fs.chmodSync(segmentFile(stream), 0o777);
      fs.chmodSync(segmentFile(queue), 0o777);
      for (const [way, open] of refusingOpeners(stream).filter(([w]) => !w.startsWith('queue') && !w.includes('persistent false'))) {
        assert.doesNotThrow(() => open().close(), way);
      }
      for (const [way, open] of refusingOpeners(queue).filter(([w]) => w.startsWith('queue') && !w.includes('persistent false'))) {
        assert.doesNotThrow(() => open().close(), way);
      }
      assert.strictEqual(segmentMode(stream), 0o777);
      assert.strictEqual(segmentMode(queue), 0o777);
    });

    it('allowForeignOwner must be a boolean', () => {
      const name = res.name('opt-type');
      for (const open of [
        () => new Writer(name, 4096, false, { allowForeignOwner: 'yes' }),
        () => new Queue(name, 4, 16, false, true, { allowForeignOwner: 1 }),
        () => SharedMemory.create(name, 4096, { allowForeignOwner: null }),
      ]) {
        const err = thrown(open);
        assert.ok(err instanceof TypeError);
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE');
        assert.ok(err.message.includes('options.allowForeignOwner'));
      }
    });
  });
});
