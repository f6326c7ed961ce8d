// NodeSharedMemoryQueue: libsharedmemory's SharedMemoryQueue, a bounded FIFO of messages shared by
// any number of producers and consumers in any processes (layout v2; one of each in layout v1).
'use strict';
const EventEmitter = require('events');
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { TurnQueue } = require('./wait');
const { Watches } = require('./watches');

const OPEN_CREATE = 1;
const OPEN_UNLINK = 2;
const QUEUE_LAYOUTS = { v2: 2, v1: 1 };
const DEFAULT_LOCK_TIMEOUT_MS = 1000;
const DEFAULT_POLL_INTERVAL_MS = 2;
const MAX_U32 = 0xffffffff;

const registry = new FinalizationRegistry((handle) => {
  try {
    native.queueClose(handle);
  } catch {
    // Nothing to report to.
  }
});

function checkCount(value, argument, required) {
  if (value === undefined && !required) return 0;
  if (typeof value !== 'number') throw errors.invalidType(argument, 'a number', value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_U32) {
    throw errors.outOfRange(argument, `must be an integer from 1 to ${MAX_U32}`, value);
  }
  return value;
}

class NodeSharedMemoryQueue extends EventEmitter {
  #handle = 0;
  #name;
  #capacity;
  #maxMessageSize;
  #bytes;
  #layout;
  #persistent;
  #asString;
  #pollInterval;
  #watches = new Watches();
  #producers = new TurnQueue({
    name: () => this.#name, emitter: this,
    subscribe: (notify) => this.#watch(notify),
    attempt: (value) => ({ done: this.enqueue(value) }),
  });
  #consumers = new TurnQueue({
    name: () => this.#name, emitter: this,
    subscribe: (notify) => this.#watch(notify),
    attempt: () => {
      const value = this.dequeue();
      return value === undefined ? { done: false } : { done: true, value };
    },
  });

  /**
   * @param {string} name
   * @param {number} [capacity] slots; required when isWriter (creating), else read from the header
   * @param {number} [maxMessageSize] bytes; required when isWriter, else read from the header
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {boolean} [isWriter] default true: create the queue (or attach to an existing one);
   *   false: open an existing queue. Both can enqueue and dequeue.
   * @param {{layout?: 'v2'|'v1', encoding?: 'utf8'|'buffer', mode?: number, lockTimeout?: number, pollInterval?: number}} [options]
   */
  constructor(name, capacity, maxMessageSize, persistent = true, isWriter = true, options) {
    super();
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    check.checkBoolean(isWriter, 'isWriter');
    capacity = checkCount(capacity, 'capacity', isWriter);
    maxMessageSize = checkCount(maxMessageSize, 'maxMessageSize', isWriter);
    const opts = check.checkOptions(options);
    const layout = opts.layout === undefined ? 'v2' : opts.layout;
    if (typeof layout !== 'string') throw errors.invalidType('options.layout', "'v2' or 'v1'", layout);
    if (!Object.hasOwn(QUEUE_LAYOUTS, layout)) throw errors.invalidValue('options.layout', "'v2' or 'v1' (a queue has no v0 layout)", layout);
    const encoding = opts.encoding === undefined ? 'utf8' : opts.encoding;
    if (typeof encoding !== 'string') throw errors.invalidType('options.encoding', "'utf8' or 'buffer'", encoding);
    if (encoding !== 'utf8' && encoding !== 'buffer') throw errors.invalidValue('options.encoding', "'utf8' or 'buffer'", encoding);
    const mode = check.checkMode(opts.mode);
    const lockTimeout = check.checkTimeout(opts.lockTimeout, 'options.lockTimeout', DEFAULT_LOCK_TIMEOUT_MS);
    this.#pollInterval = check.checkTimeout(opts.pollInterval, 'options.pollInterval', DEFAULT_POLL_INTERVAL_MS);
    if (isWriter && 28 + capacity * (4 + maxMessageSize) > MAX_U32) {
      throw errors.outOfRange('capacity', `times (4 + maxMessageSize) must stay below ${MAX_U32} bytes`, capacity);
    }
    const flags = (isWriter ? OPEN_CREATE : 0) | (persistent ? 0 : OPEN_UNLINK);
    const [h, cap, max, bytes] = native.queueOpen(name, capacity, maxMessageSize, flags, QUEUE_LAYOUTS[layout], mode, lockTimeout);
    this.#handle = h;
    registry.register(this, h, this);
    this.#name = name;
    this.#capacity = cap;
    this.#maxMessageSize = max;
    this.#bytes = bytes;
    this.#layout = layout;
    this.#persistent = persistent;
    this.#asString = encoding === 'utf8';
  }

  get name() { return this.#name; }
  /** Number of slots. */
  get capacity() { return this.#capacity; }
  /** Largest message, in bytes. */
  get maxMessageSize() { return this.#maxMessageSize; }
  /** Messages in the queue now. */
  get size() { return native.queueLen(this.#h()); }
  get layout() { return this.#layout; }
  get persistent() { return this.#persistent; }
  get closed() { return this.#handle === 0; }
  /** Bytes of the segment: header plus capacity × (4 + maxMessageSize). */
  get byteLength() { return this.#bytes; }

  isEmpty() { return this.size === 0; }
  isFull() { return this.size === this.#capacity; }

  /** Appends a string (UTF-8) or the bytes of an ArrayBufferView. false when the queue is full. */
  enqueue(value) {
    const h = this.#h();
    if (typeof value !== 'string' && !ArrayBuffer.isView(value)) {
      throw errors.invalidType('value', 'a string, Buffer, TypedArray or DataView', value);
    }
    return native.queueEnqueue(h, value);
  }

  /** Removes and returns the oldest message (a string, or a Buffer with encoding 'buffer'); undefined when empty. */
  dequeue() {
    return native.queueTake(this.#h(), false, this.#asString);
  }

  /** Returns the oldest message without removing it; undefined when empty. */
  peek() {
    return native.queueTake(this.#h(), true, this.#asString);
  }

  /**
   * Resolves once `value` has been enqueued, waiting while the queue is full. Waits on one queue
   * object are served in the order they were made.
   */
  enqueueWait(value, options) {
    const wait = check.checkWaitOptions(options);
    this.#h();
    if (typeof value !== 'string' && !ArrayBuffer.isView(value)) {
      throw errors.invalidType('value', 'a string, Buffer, TypedArray or DataView', value);
    }
    // Checked now, not when this wait reaches the head of the line behind others; rejected like
    // the same error from an enqueue attempt.
    const bytes = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
    if (bytes > this.#maxMessageSize) {
      const err = new RangeError(`message of ${bytes} bytes does not fit queue ${JSON.stringify(this.#name)}: its maxMessageSize is ${this.#maxMessageSize} bytes`);
      err.code = 'ERR_SHM_TOO_LARGE';
      err.segment = this.#name;
      return Promise.reject(err);
    }
    return this.#producers.wait(value, wait).then(() => undefined);
  }

  /** Resolves with the oldest message, waiting while the queue is empty; served in call order. */
  dequeueWait(options) {
    const wait = check.checkWaitOptions(options);
    this.#h();
    return this.#consumers.wait(undefined, wait);
  }

  /** Yields messages as they arrive (each dequeued by this consumer) until close(). */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      try {
        yield await this.dequeueWait();
      } catch (err) {
        if (err.code === 'ERR_SHM_CLOSED') return;
        throw err;
      }
    }
  }

  /** Lets the process exit while a wait is pending. Returns this. */
  unref() {
    this.#watches.setKeepAlive(false);
    return this;
  }

  /** Undoes unref(). Returns this. */
  ref() {
    this.#watches.setKeepAlive(true);
    return this;
  }

  /** Releases the mapping; removes the segment if it is not persistent. Calling it again does nothing. */
  close() {
    const h = this.#handle;
    if (h === 0) return;
    this.#handle = 0;
    this.#watches.stopAll();
    registry.unregister(this);
    try {
      native.queueClose(h);
    } finally {
      this.emit('close');
    }
  }

  #h() {
    if (this.#handle === 0) throw errors.closed(this.#name);
    return this.#handle;
  }

  // An engine watcher on the count word: notify() runs after every enqueue or dequeue that may
  // unblock a waiter (and within pollInterval of a change by a peer that wakes nobody).
  #watch(notify) {
    return this.#watches.add(native.queueWatchStart(this.#h(), this.#pollInterval, notify));
  }
}

if (typeof Symbol.dispose === 'symbol') {
  NodeSharedMemoryQueue.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { NodeSharedMemoryQueue };
