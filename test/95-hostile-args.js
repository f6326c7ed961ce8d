// Hostile arguments beyond what the bad-input table (test/93) checks row by row: an options getter is
// read once (what is checked is what is used) and its exception becomes the cause of a coded error;
// error messages run none of the caller's code; a real AbortSignal whose own properties were
// replaced still works or is refused with a code, and never makes close() throw; readInto() does
// not trust the target's own BYTES_PER_ELEMENT; a method call()ed on a foreign object is
// ERR_INVALID_THIS; `new SharedMemory()` is ERR_ILLEGAL_CONSTRUCTOR.
'use strict';
const assert = require('assert');
const EventEmitter = require('events');
const { api, useSegments, readSegment, segmentExists } = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue, SharedMemory } = api;

/** An options object whose getters count their reads and return values[key]. */
function countingOptions(values) {
  const reads = {};
  const options = {};
  for (const [key, value] of Object.entries(values)) {
    reads[key] = 0;
    Object.defineProperty(options, key, { enumerable: true, get: () => { reads[key] += 1; return value; } });
  }
  return { options, reads };
}

/** Runs fn; returns the error it threw or its promise rejected with. */
async function failure(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  assert.fail('the call did not fail');
  return undefined;
}

describe('95 hostile arguments', () => {
  const res = useSegments();

  describe('options are read once each', () => {
    it('every constructor and wait reads each option exactly once', async () => {
      const name = res.name('once');
      const checks = [
        ['NodeSharedMemoryWriteStream', { layout: 'v2', mode: 0o600, lockTimeout: 100, pollInterval: 2, readOnly: false },
          (o) => res.writer(name, 64, true, o)],
        ['NodeSharedMemoryReadStream', { layout: 'v2', lockTimeout: 100, pollInterval: 2, readOnly: true },
          (o) => res.reader(name, undefined, true, o)],
        ['NodeSharedMemoryQueue', { layout: 'v2', encoding: 'utf8', mode: 0o600, lockTimeout: 100, pollInterval: 2 },
          (o) => res.track(new Queue(res.name('once-q'), 2, 8, false, true, o))],
        ['SharedMemory.create', { mode: 0o600, persistent: false }, (o) => res.track(SharedMemory.create(res.name('once-raw'), 16, o))],
        ['SharedMemory.open', { size: 16, readOnly: true, persistent: true }, (o) => res.track(SharedMemory.open(name, o))],
        ['waitForChange', { timeout: 5 }, (o) => res.streams[1].waitForChange(o).catch((err) => assert.strictEqual(err.code, 'ERR_SHM_TIMEOUT'))],
        ['waitForRead', { timeout: 5 }, (o) => res.streams[0].waitForRead(o).catch((err) => assert.strictEqual(err.code, 'ERR_SHM_TIMEOUT'))],
      ];
      const wrong = [];
      for (const [what, values, call] of checks) {
        const { options, reads } = countingOptions(values);
        await call(options);
        for (const [key, n] of Object.entries(reads)) if (n !== 1) wrong.push(`${what}: options.${key} read ${n} times`);
      }
      assert.deepStrictEqual(wrong, []);
    });

    it('a readOnly getter answering true, then false: the reader is read-only (what was checked is what is used)', () => {
      const name = res.name('toctou');
      res.writer(name, 64, true).writeString('kept');
      let reads = 0;
      const options = { get readOnly() { reads += 1; return reads === 1 ? true : false; } };
      const reader = res.reader(name, undefined, true, options);
      assert.strictEqual(reader.readOnly, true, `the reader asked for readOnly maps read-write (options.readOnly read ${reads} times)`);
      assert.throws(() => reader.markAsRead(), { code: 'ERR_SHM_READ_ONLY' });
    });
  });

  describe('a caller\'s exception while reading an argument', () => {
    const boom = new Error('the caller\'s getter');
    const calls = [
      ['new NodeSharedMemoryWriteStream', 'options.mode', (c, o) => new Writer(c.fresh, 64, true, o), 'mode'],
      ['new NodeSharedMemoryQueue', 'options.encoding', (c, o) => new Queue(c.fresh, 2, 8, true, true, o), 'encoding'],
      ['SharedMemory.create', 'options.persistent', (c, o) => SharedMemory.create(c.fresh, 16, o), 'persistent'],
      ['waitForChange', 'options.signal', (c, o) => c.reader.waitForChange(o), 'signal'],
    ];
    for (const [what, argument, call, key] of calls) {
      it(`${what}: a getter of ${argument} that throws -> TypeError ERR_INVALID_ARG_VALUE naming it, the caller's error as cause; nothing created`, async () => {
        const c = { fresh: res.name('cause') };
        const name = res.name('cause-stream');
        res.writer(name, 64, true).writeString('x');
        c.reader = res.reader(name);
        c.reader.readString();
        const err = await failure(() => call(c, Object.defineProperty({}, key, { get() { throw boom; } })));
        assert.ok(err instanceof TypeError, `${err.name}: ${err.message}`);
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE');
        assert.ok(err.message.includes(argument), err.message);
        assert.strictEqual(err.cause, boom);
        assert.ok(!segmentExists(c.fresh), 'a segment was created');
      });
    }

    it('a revoked Proxy as options: the TypeError V8 threw is the cause', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      const err = failureSync(() => SharedMemory.open(res.name('revoked'), proxy));
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE');
      assert.ok(err.cause instanceof TypeError && /revoked/.test(err.cause.message), String(err.cause));
    });

    it('building a message runs none of the caller\'s code (getters, traps, conversions)', () => {
      let ran = 0;
      const spy = () => { ran += 1; throw new Error('ran'); };
      const values = [
        Object.defineProperty({}, 'constructor', { get: spy }),
        new Proxy({}, { get: spy, getPrototypeOf: spy, getOwnPropertyDescriptor: spy, has: spy }),
        { [Symbol.toPrimitive]: spy, valueOf: spy, toString: spy },
        Object.setPrototypeOf({}, new Proxy({}, { getOwnPropertyDescriptor: spy, getPrototypeOf: spy, get: spy })),
      ];
      for (const v of values) {
        for (const call of [() => api.unlink(v), () => new Writer(v), () => SharedMemory.create(res.name('msg'), v)]) {
          const err = failureSync(call);
          assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', err.message);
        }
      }
      assert.strictEqual(ran, 0, 'a message ran the caller\'s code');
    });
  });

  describe('AbortSignals whose own properties were replaced', () => {
    it('a real signal whose addEventListener, removeEventListener and aborted were replaced still works; close() does not throw', async () => {
      const q = res.track(new Queue(res.name('signal'), 1, 8, false));
      const ac = new AbortController();
      for (const key of ['addEventListener', 'removeEventListener', 'aborted', 'reason']) {
        Object.defineProperty(ac.signal, key, { get() { throw new Error(`own ${key}`); } });
      }
      const pending = q.dequeueWait({ signal: ac.signal });
      const reason = new Error('stop');
      ac.abort(reason);
      await assert.rejects(pending, (err) => err.name === 'AbortError' && err.cause === reason);
      const closing = q.dequeueWait({ signal: ac.signal });
      await assert.rejects(closing, { name: 'AbortError' });
      const again = q.dequeueWait({ signal: new AbortController().signal });
      q.close();
      await assert.rejects(again, { code: 'ERR_SHM_CLOSED' });
    });

    it('a real signal whose own constructor getter throws (EventTarget reads it): the wait rejects with ERR_INVALID_ARG_VALUE, close() does not throw', async () => {
      const name = res.name('signal-ctor');
      res.writer(name, 64, true).writeString('x');
      const reader = res.reader(name);
      reader.readString();
      const ac = new AbortController();
      Object.defineProperty(ac.signal, 'constructor', { get() { throw new Error('own constructor'); } });
      const err = await failure(() => reader.waitForChange({ signal: ac.signal }));
      assert.ok(err instanceof TypeError && err.code === 'ERR_INVALID_ARG_VALUE' && /options\.signal/.test(err.message), `${err.code}: ${err.message}`);
      assert.doesNotThrow(() => reader.close());
    });
  });

  it('readInto() counts elements by the target\'s type, not its own BYTES_PER_ELEMENT (a getter that throws or lies)', () => {
    const name = res.name('bpe');
    res.writer(name, 64, true).writeFloatArray(new Float32Array([1, 2, 3]));
    const reader = res.reader(name);
    const throwing = Object.defineProperty(new Float32Array(4), 'BYTES_PER_ELEMENT', { get() { throw new Error('own BYTES_PER_ELEMENT'); } });
    assert.strictEqual(reader.readInto(throwing), 3);
    const lying = Object.defineProperty(new Float64Array(2), 'BYTES_PER_ELEMENT', { value: 1 });
    assert.strictEqual(reader.readInto(lying), 1, 'twelve bytes are one whole Float64');
  });

  describe('this', () => {
    it('every method and accessor with side effects, call()ed on a foreign object: TypeError ERR_INVALID_THIS, nothing changes', async () => {
      const name = res.name('this');
      const w = res.writer(name, 64, true);
      w.writeString('kept');
      const before = readSegment(name);
      const foreign = [{}, Object.create(Writer.prototype), new Proxy(w, {})];
      const methods = [
        [Writer.prototype, ['writeString', 'writeFloatArray', 'writeDoubleArray', 'writeBuffer', 'isMessageRead', 'waitForRead', 'readFlags', 'close', 'ref', 'unref']],
        [Reader.prototype, ['readString', 'readFloatArray', 'readDoubleArray', 'readBuffer', 'read', 'readInto', 'hasNewData', 'markAsRead', 'waitForChange']],
        [Queue.prototype, ['enqueue', 'dequeue', 'peek', 'isEmpty', 'isFull', 'enqueueWait', 'dequeueWait']],
        [SharedMemory.prototype, ['read', 'write', 'close', 'unlink']],
      ];
      const args = { writeString: ['x'], writeFloatArray: [new Float32Array(1)], writeDoubleArray: [new Float64Array(1)], writeBuffer: [Buffer.from('x')],
        readInto: [Buffer.alloc(8)], enqueue: ['x'], enqueueWait: ['x'], write: [0, Buffer.from('x')] };
      const wrong = [];
      for (const [proto, names] of methods) {
        for (const m of names) {
          for (const obj of foreign) {
            const err = await failure(() => proto[m].apply(obj, args[m] || []));
            if (!(err instanceof TypeError) || err.code !== 'ERR_INVALID_THIS' || !/\bthis\b/.test(err.message)) {
              wrong.push(`${proto.constructor.name}.${m}: ${err.name} ${err.code}: ${err.message}`);
            }
          }
        }
      }
      for (const [proto, getter] of [[Writer.prototype, 'revision'], [Queue.prototype, 'size'], [SharedMemory.prototype, 'buffer']]) {
        const get = Object.getOwnPropertyDescriptor(proto, getter) || Object.getOwnPropertyDescriptor(Object.getPrototypeOf(proto), getter);
        const err = await failure(() => get.get.call({}));
        if (err.code !== 'ERR_INVALID_THIS') wrong.push(`${getter}: ${err.name} ${err.code}: ${err.message}`);
      }
      assert.deepStrictEqual(wrong, []);
      assert.deepStrictEqual(readSegment(name), before);
    });

    it('every accessor of every class, read on a foreign object (or on an object of another class): TypeError ERR_INVALID_THIS', async () => {
      const w = res.writer(res.name('accessors'), 64, true);
      const q = res.track(new Queue(res.name('accessors-q'), 2, 8, false, true));
      // For each class: a plain object, an object made from its prototype, a Proxy of a real object
      // (private fields do not pass through), and a real object of another of the module's classes.
      const cases = [[Writer.prototype, q], [Reader.prototype, q], [Queue.prototype, w], [SharedMemory.prototype, w]];
      // The base that streams and queues share: its accessors (name, closed) are at home on both.
      const shared = Object.getPrototypeOf(Queue.prototype);
      const wrong = [];
      for (const [proto, other] of cases) {
        for (let p = proto; p !== EventEmitter.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
          for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
            if (typeof d.get !== 'function') continue;
            const objs = [{}, Object.create(proto), new Proxy(w, {})];
            if (p !== shared) objs.push(other);
            for (const obj of objs) {
              const err = await failure(() => d.get.call(obj));
              if (!(err instanceof TypeError) || err.code !== 'ERR_INVALID_THIS') {
                wrong.push(`${proto.constructor.name}.${key} on ${obj === other ? 'another class' : 'a foreign object'}: ${err.name} ${err.code}: ${err.message}`);
              }
            }
          }
        }
      }
      // The async iterators: their first next() rejects with the same code.
      for (const proto of [Reader.prototype, Queue.prototype]) {
        const err = await failure(() => proto[Symbol.asyncIterator].call({}).next());
        if (!(err instanceof TypeError) || err.code !== 'ERR_INVALID_THIS') {
          wrong.push(`${proto.constructor.name}[Symbol.asyncIterator]: ${err.name} ${err.code}: ${err.message}`);
        }
      }
      assert.deepStrictEqual(wrong, []);
    });

    it('new SharedMemory() directly: TypeError ERR_ILLEGAL_CONSTRUCTOR naming the factories', () => {
      const err = failureSync(() => new SharedMemory());
      assert.ok(err instanceof TypeError);
      assert.strictEqual(err.code, 'ERR_ILLEGAL_CONSTRUCTOR');
      assert.match(err.message, /SharedMemory\.create\(\)/);
    });
  });
});

function failureSync(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('the call did not throw');
  return undefined;
}
