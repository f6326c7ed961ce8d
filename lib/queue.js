// NodeSharedMemoryQueue: libsharedmemory's SharedMemoryQueue, a bounded FIFO of messages shared by
// any number of producers and consumers in any processes (layout v2; one of each in layout v1).
'use strict';
const { MAX_STRING_LENGTH } = require('buffer').constants;
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { TurnQueue, untilClosed } = require('./wait');
const { Attached, handleOf, watch } = require('./attached');
const locks = require('./locks');
const { describeObject } = require('./inspect');

const C = native.constants;
const QUEUE_LAYOUTS = { v2: C.LAYOUT_V2, v1: C.LAYOUT_V1 };
// options.lock of breakLock(): the bits of the locks to break.
const BREAK_LOCKS = { producer: C.LOCK_PRODUCER, consumer: C.LOCK_CONSUMER, both: C.LOCK_PRODUCER | C.LOCK_CONSUMER };

function checkEncoding(encoding) {
  if (encoding === undefined) return 'utf8';
  if (typeof encoding !== 'string') throw errors.invalidType('options.encoding', "'utf8' or 'buffer'", encoding);
  if (encoding !== 'utf8' && encoding !== 'buffer') throw errors.invalidValue('options.encoding', "'utf8' or 'buffer'", encoding);
  return encoding;
}

function checkQueueLayout(layout) {
  if (layout === undefined) return 'v2';
  if (typeof layout !== 'string') throw errors.invalidType('options.layout', "'v2' or 'v1'", layout);
  if (!Object.hasOwn(QUEUE_LAYOUTS, layout)) throw errors.invalidValue('options.layout', "'v2' or 'v1' (a queue has no v0 layout)", layout);
  return layout;
}

const MESSAGE = 'a string, Buffer, TypedArray or DataView';

// A message is a string or the bytes of a view (a detached one refused).
function checkMessage(value) {
  if (typeof value !== 'string') check.checkView(value, 'value', MESSAGE);
}

// Whether an object is a queue of this module (a brand check, for the accessors): set below.
let isQueue;

class NodeSharedMemoryQueue extends Attached {
  static {
    isQueue = (obj) => obj !== null && typeof obj === 'object' && #capacity in obj;
  }

  #capacity;
  #maxMessageSize;
  #bytes;
  #layout;
  #persistent;
  #asString;
  #staleLockTimeout;
  // A queue that follows its name (options.reattach): [due, generation], shared with the engine,
  // which moves the generation when it maps a new segment. null otherwise.
  #cell = null;
  #generation = 0;
  #producers = new TurnQueue({
    owner: this,
    subscribe: (notify) => this.#watch(notify),
    attempt: (value) => {
      // A view waiting for its turn can be detached meanwhile (its ArrayBuffer transferred, its
      // SharedMemory closed); enqueueing it then would enqueue an empty message.
      if (typeof value !== 'string' && check.isDetachedView(value)) throw errors.detachedWhileWaiting(this.name);
      return { done: this.enqueue(value) };
    },
  });
  #consumers = new TurnQueue({
    owner: this,
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
   * @param {{layout?: 'v2'|'v1', encoding?: 'utf8'|'buffer', mode?: number, lockTimeout?: number, staleLockTimeout?: number, pollInterval?: number, allowForeignOwner?: boolean, reattach?: boolean}} [options]
   */
  constructor(name, capacity, maxMessageSize, persistent = true, isWriter = true, options) {
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    check.checkBoolean(isWriter, 'isWriter');
    // 0: as the header of the existing queue says.
    capacity = capacity === undefined && !isWriter ? 0 : check.checkCount(capacity, 'capacity');
    maxMessageSize = maxMessageSize === undefined && !isWriter ? 0 : check.checkCount(maxMessageSize, 'maxMessageSize');
    const opts = check.readOptions(options,
      ['layout', 'encoding', 'mode', 'lockTimeout', 'pollInterval', 'allowForeignOwner', 'staleLockTimeout', 'reattach']);
    const layout = checkQueueLayout(opts.layout);
    const encoding = checkEncoding(opts.encoding);
    const mode = check.checkMode(opts.mode);
    const { lockTimeout, pollInterval } = check.checkEngineTimes(opts);
    const staleLockTimeout = check.checkStaleLockTimeout(opts.staleLockTimeout, lockTimeout);
    // One bound for both layouts, with the larger (v2) header, so that it does not depend on the
    // layout (a v1 queue just under the limit is refused too).
    if (isWriter && C.QUEUE_HEADER_V2 + capacity * (C.QUEUE_SLOT_HEAD + maxMessageSize) > C.MAX_SIZE) {
      const limit = `times (${C.QUEUE_SLOT_HEAD} + maxMessageSize) must stay below ${C.MAX_SIZE} bytes`;
      throw errors.outOfRange('capacity', limit, capacity);
    }
    const foreign = opts.allowForeignOwner !== undefined && check.checkBoolean(opts.allowForeignOwner, 'options.allowForeignOwner');
    // Queues opened with isWriter false follow their name to a new queue unless told not to.
    const reattach = opts.reattach === undefined || check.checkBoolean(opts.reattach, 'options.reattach');
    const flags = (isWriter ? C.OPEN_CREATE : 0) | (persistent ? 0 : C.OPEN_UNLINK) | (foreign ? C.OPEN_ALLOW_FOREIGN : 0);
    const [handle, cap, max, bytes] =
      native.queueOpen(name, capacity, maxMessageSize, flags, QUEUE_LAYOUTS[layout], mode, lockTimeout);
    super(handle, name, native.queueClose, pollInterval);
    this.#capacity = cap;
    this.#maxMessageSize = max;
    this.#bytes = bytes;
    this.#layout = layout;
    this.#persistent = persistent;
    this.#asString = encoding === 'utf8';
    // v1 has no locks for the rule to apply to.
    this.#staleLockTimeout = layout === 'v2' ? staleLockTimeout : 0;
    if (this.#staleLockTimeout !== 0) native.queueStaleLock(handle, staleLockTimeout);
    if (!isWriter && reattach) {
      const cell = new Uint32Array(2);
      native.queueReattach(handle, pollInterval, flags, cell);
      this.#cell = cell;
      this.#generation = cell[1];
    }
  }

  // After each operation: a move to a new queue (the engine's generation moved) takes its capacity
  // and sizes, and is told with 'reattach' on the next tick, not from inside the operation.
  #noticeReattach() {
    const cell = this.#cell;
    if (cell === null || cell[1] === this.#generation) return;
    this.#generation = cell[1];
    [this.#capacity, this.#maxMessageSize, this.#bytes] = native.queueDescribe(handleOf(this));
    process.nextTick(() => { if (!this.closed) this.emit('reattach'); });
  }

  /** Number of slots. */
  get capacity() { return this.#capacity; }
  /** Largest message, in bytes. */
  get maxMessageSize() { return this.#maxMessageSize; }
  /** Messages in the queue now. */
  get size() {
    const n = native.queueLen(handleOf(this));
    this.#noticeReattach();
    return n;
  }
  get layout() { return this.#layout; }
  get persistent() { return this.#persistent; }
  /** Bytes of the segment: header plus capacity × (4 + maxMessageSize). */
  get byteLength() { return this.#bytes; }

  [require('util').inspect.custom](depth, options, show) {
    let count;
    try {
      if (!this.closed) count = native.queueLen(handleOf(this));
    } catch {
      // A faulted mapping: the fields below still say which queue this is.
    }
    const fields = { name: this.name, layout: this.#layout, capacity: this.#capacity, maxMessageSize: this.#maxMessageSize,
      size: this.#bytes, count, closed: this.closed };
    if (count === undefined) delete fields.count;
    return describeObject(this, fields, depth, options, show);
  }

  // Through handleOf, not this.size, so that a foreign `this` is ERR_INVALID_THIS, not an answer.
  isEmpty() {
    const n = native.queueLen(handleOf(this));
    this.#noticeReattach();
    return n === 0;
  }

  isFull() {
    const n = native.queueLen(handleOf(this));
    this.#noticeReattach();
    return n === this.#capacity;
  }

  /** Appends a string (UTF-8) or the bytes of an ArrayBufferView. false when the queue is full. */
  enqueue(value) {
    const h = handleOf(this);
    checkMessage(value);
    const added = native.queueEnqueue(h, value);
    this.#noticeReattach();
    if (this.#staleLockTimeout !== 0) this.#noteLockBroken(h);
    return added;
  }

  /** Removes and returns the oldest message (a string, or a Buffer with encoding 'buffer'); undefined when empty. */
  dequeue() {
    const h = handleOf(this);
    const message = native.queueTake(h, false, this.#asString, MAX_STRING_LENGTH);
    this.#noticeReattach();
    if (this.#staleLockTimeout !== 0) this.#noteLockBroken(h);
    return message;
  }

  /** Returns the oldest message without removing it; undefined when empty. */
  peek() {
    const h = handleOf(this);
    const message = native.queueTake(h, true, this.#asString, MAX_STRING_LENGTH);
    this.#noticeReattach();
    if (this.#staleLockTimeout !== 0) this.#noteLockBroken(h);
    return message;
  }

  /**
   * Takes the v2 locks named by options.lock ('producer', 'consumer' or 'both', the default) over
   * from whoever holds them (a libsharedmemory peer that died holding one), repairs the indices and
   * count as after a dead holder, and releases them. Returns { producer, consumer }: each the lock
   * word broken, or false (free, or not named). A holder known alive is refused (ERR_SHM_LOCK_HELD)
   * unless { force: true }.
   */
  breakLock(options) {
    const h = handleOf(this);
    const opts = check.readBreakOptions(options, ['lock', 'force']);
    let which = BREAK_LOCKS.both;
    if (opts.lock !== undefined) {
      const expected = "'producer', 'consumer' or 'both'";
      if (typeof opts.lock !== 'string') throw errors.invalidType('options.lock', expected, opts.lock);
      if (!Object.hasOwn(BREAK_LOCKS, opts.lock)) throw errors.invalidValue('options.lock', expected, opts.lock);
      which = BREAK_LOCKS[opts.lock];
    }
    const [producer, consumer] = native.queueBreakLock(h, which, opts.force === true);
    return { producer: producer === 0 ? false : producer, consumer: consumer === 0 ? false : consumer };
  }

  // What the stale-lock rule took over during the operation just made.
  #noteLockBroken(h) {
    const [producer, consumer] = native.queueLockBroken(h);
    if (producer !== 0) locks.reportLockBroken(this, 'producer', producer, this.#staleLockTimeout);
    if (consumer !== 0) locks.reportLockBroken(this, 'consumer', consumer, this.#staleLockTimeout);
  }

  /**
   * Resolves once `value` has been enqueued, waiting while the queue is full. Waits on one queue
   * object are served in the order they were made.
   */
  enqueueWait(value, options) {
    const wait = check.checkWaitOptions(options);
    handleOf(this);
    // Checked now, not when this wait reaches the head of the line behind others; rejected like
    // the same error from an enqueue attempt.
    const bytes = typeof value === 'string' ? Buffer.byteLength(value) : check.checkView(value, 'value', MESSAGE);
    if (bytes > this.#maxMessageSize) {
      return Promise.reject(errors.messageTooLarge(this.name, bytes, this.#maxMessageSize));
    }
    return this.#producers.wait(value, wait).then(() => undefined);
  }

  /** Resolves with the oldest message, waiting while the queue is empty; served in call order. */
  dequeueWait(options) {
    const wait = check.checkWaitOptions(options);
    handleOf(this);
    return this.#consumers.wait(undefined, wait);
  }

  /** Yields messages as they arrive (each dequeued by this consumer) until close(). */
  [Symbol.asyncIterator]() {
    return untilClosed(() => NodeSharedMemoryQueue.prototype.dequeueWait.call(this));
  }

  // An engine watcher on the count word: notify() runs after every enqueue or dequeue that may
  // unblock a waiter (and within pollInterval of a change by a peer that wakes nobody).
  #watch(notify) {
    return watch(this, (h, pollMs) => native.queueWatchStart(h, pollMs, notify));
  }
}

check.guardAccessors(NodeSharedMemoryQueue.prototype, isQueue, 'a NodeSharedMemoryQueue');

module.exports = { NodeSharedMemoryQueue };
