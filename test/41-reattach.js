// Readers that follow a C++ writer that restarted (README "Readers and writers that restart"):
// libsharedmemory's create() removes the name and makes a new segment under it, so a reader opened
// before would read the orphaned old one forever. The restart happens in another process
// (test/fixtures/restart-writer.js), at the OS level, exactly as the C++ library does it.
'use strict';
const assert = require('assert');
const path = require('path');
const { fork } = require('child_process');
const { once } = require('events');
const { api, useSegments, linuxOnly } = require('./helpers');

const RESTART = path.join(__dirname, 'fixtures', 'restart-writer.js');
const POLL = 5;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the restarting writer's steps in a child process and waits for it to finish them. */
async function restart(name, ...steps) {
  const child = fork(RESTART, [JSON.stringify({ name, steps })], { stdio: 'inherit' });
  const [code, signal] = await once(child, 'exit');
  assert.strictEqual(code, 0, `restart-writer exited with code ${code}, signal ${signal}`);
}

/** Reads until read() returns want, for at most ms; returns what it read last. */
async function readUntil(reader, want, ms = 2000) {
  const end = Date.now() + ms;
  let got;
  while (Date.now() < end) {
    got = reader.read();
    if (got === want) return got;
    await delay(1);
  }
  return got;
}

describe('readers follow a C++ writer that restarted (reattach)', function () {
  const res = useSegments();
  before(function () { linuxOnly(this, 'a restart makes a new file under /dev/shm'); });

  /** A segment with 'old' written, its writer closed (the name stays), and a reader opened before the restart. */
  function opened(options = {}) {
    const name = res.name('reattach');
    const w = new api.NodeSharedMemoryWriteStream(name, 64, true);
    w.writeString('old');
    w.close();
    const reader = res.reader(name, undefined, true, { pollInterval: POLL, ...options });
    assert.strictEqual(reader.read(), 'old');
    const events = [];
    reader.on('reattach', () => events.push('reattach'));
    return { name, reader, events };
  }

  it('read() returns the new segment\'s value within pollInterval and emits one \'reattach\'', async () => {
    const { name, reader, events } = opened();
    await restart(name, { op: 'restart', size: 128, value: 'new' });
    assert.strictEqual(await readUntil(reader, 'new'), 'new');
    assert.deepStrictEqual(events, [], "'reattach' is emitted after the read, not inside it");
    await new Promise((resolve) => process.nextTick(resolve));
    assert.deepStrictEqual(events, ['reattach']);
    assert.strictEqual(reader.size, 128, 'size is the new mapping\'s');
    assert.strictEqual(reader.hasNewData(), false, 'the new value was read');
    await restart(name, { op: 'write', value: 'newer', revision: 2 });
    assert.strictEqual(await readUntil(reader, 'newer'), 'newer');
    assert.deepStrictEqual(events, ['reattach']);
  });

  it('a \'change\' listener gets \'reattach\', then the new value, then the next changes', async () => {
    const { name, reader } = opened();
    const seen = [];
    reader.on('reattach', () => seen.push('reattach'));
    // A watcher that looks between the new object's ftruncate and its first write follows it while
    // it is blank, and that is a change to null; the C++ writer has the same window.
    reader.on('change', (value) => { if (value !== null) seen.push(value); });
    await delay(3 * POLL); // the watcher is armed
    await restart(name, { op: 'restart', size: 64, value: 'new' });
    const end = Date.now() + 2000;
    while (seen.length < 2 && Date.now() < end) await delay(1);
    assert.deepStrictEqual(seen, ['reattach', 'new']);
    // The watcher moved to the new segment: a write there (by a writer that wakes nobody, as the
    // C++ library) is reported within pollInterval.
    await restart(name, { op: 'write', value: 'next', revision: 2 });
    while (seen.length < 3 && Date.now() < end) await delay(1);
    assert.deepStrictEqual(seen, ['reattach', 'new', 'next']);
  });

  it('a pending waitForChange() resolves with the new segment\'s value', async () => {
    const { name, reader } = opened();
    const waiting = reader.waitForChange({ timeout: 3000 });
    await delay(3 * POLL);
    await restart(name, { op: 'restart', size: 64, value: 'new' });
    assert.strictEqual(await waiting, 'new');
  });

  it('reattach: false keeps the old segment, as before', async () => {
    const { name, reader, events } = opened({ reattach: false });
    await restart(name, { op: 'restart', size: 64, value: 'new' });
    await delay(5 * POLL);
    assert.strictEqual(reader.read(), 'old');
    assert.strictEqual(reader.hasNewData(), false);
    await delay(1);
    assert.deepStrictEqual(events, []);
  });

  it('a name that is gone is no restart: the old segment stays, with no error', async () => {
    const { name, reader, events } = opened();
    const errors = [];
    reader.on('error', (err) => errors.push(err));
    reader.on('change', () => {});
    await restart(name, { op: 'unlink' });
    await delay(5 * POLL);
    assert.strictEqual(reader.read(), 'old');
    // The writer comes back later: followed then.
    await restart(name, { op: 'restart', size: 64, value: 'back' });
    assert.strictEqual(await readUntil(reader, 'back'), 'back');
    await delay(1);
    assert.deepStrictEqual(events, ['reattach']);
    assert.deepStrictEqual(errors, []);
  });

  it('an object that is not a segment yet (empty, or smaller than the header) is not followed, a valid one then is', async () => {
    const { name, reader, events } = opened();
    reader.on('change', () => {});
    for (const bytes of [[], [1, 2, 3]]) {
      await restart(name, { op: 'recreate', bytes });
      for (let i = 0; i < 5; i++) {
        assert.strictEqual(reader.read(), 'old', `with ${bytes.length} bytes under the name`);
        await delay(POLL);
      }
      assert.deepStrictEqual(events, []);
    }
    await restart(name, { op: 'restart', size: 64, value: 'valid' });
    assert.strictEqual(await readUntil(reader, 'valid'), 'valid');
  });

  it('a v1 reader follows too (reads only)', async () => {
    const name = res.name('reattach-v1');
    const w = new api.NodeSharedMemoryWriteStream(name, 64, true, { layout: 'v1' });
    w.writeString('old');
    w.close();
    const reader = res.reader(name, undefined, true, { layout: 'v1', pollInterval: POLL });
    assert.strictEqual(reader.readString(), 'old');
    await restart(name, { op: 'unlink' });
    const w2 = res.writer(name, 64, true, { layout: 'v1' });
    w2.writeString('new');
    const end = Date.now() + 2000;
    while (reader.readString() !== 'new' && Date.now() < end) await delay(1);
    assert.strictEqual(reader.readString(), 'new');
  });

  describe('queues', () => {
    /** A queue the Node side made and left, and a consumer opened on it before the restart. */
    function queueOpened(options = {}) {
      const name = res.name('reattach-q');
      new api.NodeSharedMemoryQueue(name, 4, 16, true).close();
      const consumer = new api.NodeSharedMemoryQueue(name, undefined, undefined, true, false, { pollInterval: POLL, ...options });
      res.track(consumer);
      const events = [];
      consumer.on('reattach', () => events.push('reattach'));
      return { name, consumer, events };
    }

    it('a consumer takes the messages of the new queue, with its capacity and sizes', async () => {
      const { name, consumer, events } = queueOpened();
      assert.strictEqual(consumer.dequeue(), undefined);
      await restart(name, { op: 'queue', capacity: 8, maxMessageSize: 32, messages: ['one', 'two'] });
      const end = Date.now() + 2000;
      let got;
      while ((got = consumer.dequeue()) === undefined && Date.now() < end) await delay(1);
      assert.strictEqual(got, 'one');
      assert.strictEqual(consumer.dequeue(), 'two');
      assert.deepStrictEqual([consumer.capacity, consumer.maxMessageSize], [8, 32]);
      await new Promise((resolve) => process.nextTick(resolve));
      assert.deepStrictEqual(events, ['reattach']);
    });

    it('a pending dequeueWait() resolves with the new queue\'s first message', async () => {
      const { name, consumer } = queueOpened();
      const waiting = consumer.dequeueWait({ timeout: 3000 });
      await delay(3 * POLL);
      await restart(name, { op: 'queue', capacity: 4, maxMessageSize: 16, messages: ['hello'] });
      assert.strictEqual(await waiting, 'hello');
    });

    it('reattach: false keeps the old, empty queue', async () => {
      const { name, consumer, events } = queueOpened({ reattach: false });
      await restart(name, { op: 'queue', capacity: 4, maxMessageSize: 16, messages: ['lost'] });
      await delay(5 * POLL);
      assert.strictEqual(consumer.dequeue(), undefined);
      await delay(1);
      assert.deepStrictEqual(events, []);
    });

    it('a blank object (a writer before its header stores) is not followed until it is a queue', async () => {
      const { name, consumer, events } = queueOpened();
      await restart(name, { op: 'recreate', bytes: new Array(64).fill(0) });
      for (let i = 0; i < 5; i++) {
        assert.strictEqual(consumer.dequeue(), undefined);
        await delay(POLL);
      }
      assert.deepStrictEqual(events, []);
      await restart(name, { op: 'queue', capacity: 4, maxMessageSize: 16, messages: ['ready'] });
      const end = Date.now() + 2000;
      let got;
      while ((got = consumer.dequeue()) === undefined && Date.now() < end) await delay(1);
      assert.strictEqual(got, 'ready');
    });
  });

  it('options.reattach must be a boolean', () => {
    const name = res.name('reattach-arg');
    res.writer(name, 64);
    assert.throws(() => new api.NodeSharedMemoryReadStream(name, undefined, true, { reattach: 1 }),
      { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /options\.reattach/ });
    assert.throws(() => new api.NodeSharedMemoryQueue(name, undefined, undefined, true, false, { reattach: 'yes' }),
      { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /options\.reattach/ });
  });
});
