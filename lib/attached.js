// The part streams and queues share: the engine handle they hold, closed once (by close(), or when
// the object is collected), and the engine watches their waits and events run, which ref()/unref() apply to.
'use strict';
const EventEmitter = require('events');
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');

// An object collected without close() is closed here, which also removes a non-persistent segment.
// Environments that end first (a terminated worker, process exit) are covered by the addon, which
// closes whatever its environment still has open.
const registry = new FinalizationRegistry(({ closeNative, handle }) => {
  try {
    closeNative(handle);
  } catch {
    // Nothing to report to: the object is gone. The engine has released the mapping either way.
  }
});

// The open handle of a stream or queue, or ERR_SHM_CLOSED: the first step of every operation.
let handleOf;
// Starts an engine watch for a stream or queue: start(handle, pollMs) returns the watch's id. Its
// callback runs on this thread after the watched word changed. Returns the function that stops it.
let watch;
// What `this` must be for the methods of streams and queues (ERR_INVALID_THIS otherwise).
const THIS = 'a NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream or NodeSharedMemoryQueue';
let isAttached;

class Attached extends EventEmitter {
  #handle;
  #name;
  #closeNative;
  #pollInterval;
  // Ids of the watches running for this object, so ref()/unref() reach each of them. The engine
  // ends them when the object closes; stopping an ended one is harmless.
  #watches = new Set();
  #keepAlive = true;

  static {
    isAttached = (obj) => obj !== null && typeof obj === 'object' && #handle in obj;
    handleOf = (obj) => {
      let h;
      try {
        h = obj.#handle;
      } catch {
        // A method called on another object (taken off the prototype and call()ed).
        throw errors.invalidThis(THIS, obj);
      }
      if (h === 0) throw errors.closed(obj.#name);
      return h;
    };
    watch = (obj, start) => {
      const id = start(handleOf(obj), obj.#pollInterval);
      obj.#watches.add(id);
      if (!obj.#keepAlive) native.watchRef(id, false);
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        obj.#watches.delete(id);
        native.watchStop(id);
      };
    };
  }

  /**
   * Takes over a handle the engine has just opened.
   * @param {number} handle
   * @param {string} name the segment's name
   * @param {(handle: number) => void} closeNative native.streamClose or native.queueClose
   * @param {number} pollInterval ms: bounds how late a watch notices a peer that wakes nobody
   */
  constructor(handle, name, closeNative, pollInterval) {
    super();
    this.#handle = handle;
    this.#name = name;
    this.#closeNative = closeNative;
    this.#pollInterval = pollInterval;
    registry.register(this, { closeNative, handle }, this);
  }

  /** The segment's name. */
  get name() { return this.#name; }
  /** True once close() has been called. */
  get closed() { return this.#handle === 0; }

  /** Lets the process exit while this object watches (a pending wait, 'change' listeners). Returns this. */
  unref() {
    if (!isAttached(this)) throw errors.invalidThis(THIS, this);
    this.#setKeepAlive(false);
    return this;
  }

  /** Undoes unref(). Returns this. */
  ref() {
    if (!isAttached(this)) throw errors.invalidThis(THIS, this);
    this.#setKeepAlive(true);
    return this;
  }

  /** Releases the mapping (removing a non-persistent segment), then emits 'close'. Calling it again does nothing. */
  close() {
    if (!isAttached(this)) throw errors.invalidThis(THIS, this);
    const h = this.#handle;
    if (h === 0) return;
    this.#handle = 0;
    // The engine ends this object's watches as it closes it; the waits still pending stop theirs
    // (a no-op now) when 'close' rejects them.
    this.#watches.clear();
    registry.unregister(this);
    try {
      this.#closeNative(h);
    } finally {
      this.emit('close');
    }
  }

  #setKeepAlive(keepAlive) {
    this.#keepAlive = keepAlive;
    for (const id of this.#watches) native.watchRef(id, keepAlive);
  }
}

check.guardAccessors(Attached.prototype, isAttached, THIS);

if (typeof Symbol.dispose === 'symbol') {
  Attached.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { Attached, handleOf, watch };
