// NodeSharedMemoryWriteStream and NodeSharedMemoryReadStream: the API of node-libsharedmemory 0.0.9
// (SPEC §2.1), plus close(), layouts, binary payloads, change detection and change events.
// Arguments are checked here; the addon trusts them.
'use strict';
const EventEmitter = require('events');
const { types } = require('util');
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { waitUntil } = require('./wait');
const { Watches } = require('./watches');

const kMemoryChanged = 1;
const kMemoryTypeString = 2;
const kMemoryTypeFloat = 4;
const kMemoryTypeDouble = 8;
// Added by this project: raw bytes (writeBuffer). C++ readers see them through readString.
const kMemoryTypeBuffer = 16;

const DEFAULT_NAME = '__node-sharedmemory$';
const DEFAULT_SIZE = 65535;
const DEFAULT_LOCK_TIMEOUT_MS = 1000;
const DEFAULT_POLL_INTERVAL_MS = 2;

// Bits of the engine's open flags, fields and queries (goshm/cabi/goshm.h).
const OPEN_CREATE = 1;
const OPEN_UNLINK = 2;
const OPEN_READONLY = 4;
const FIELD_REVISION = 0;
const FIELD_ACK = 1;
const Q_REVISION = 0;
const Q_ACK = 1;
const Q_HAS_NEW_DATA = 2;
const Q_MARK_AS_READ = 3;
const Q_IS_MESSAGE_READ = 4;
const Q_SEEN = 5;

const kHandle = Symbol('handle');
const kWatch = Symbol('watch');
const kCheckWritable = Symbol('checkWritable');

// A stream collected without close() is closed here, which also removes a non-persistent segment.
// Environments that end first (a terminated worker, process exit) are covered by the addon, which
// closes whatever its environment still has open.
const registry = new FinalizationRegistry((handle) => {
  try {
    native.streamClose(handle);
  } catch {
    // Nothing to report to: the stream is gone. The engine has released the mapping either way.
  }
});

function handleOf(stream) {
  const h = stream[kHandle];
  if (h === 0) throw errors.closed(stream.name);
  return h;
}

class SharedMemoryStream extends EventEmitter {
  #name;
  #size;
  #layout;
  #persistent;
  #readOnly;
  #pollInterval;
  #watches = new Watches();

  constructor(isWriter, name = DEFAULT_NAME, size, persistent = true, options) {
    super();
    this[kHandle] = 0;
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    const opts = check.checkOptions(options);
    const layout = check.checkLayout(opts.layout);
    const mode = check.checkMode(opts.mode);
    const lockTimeout = check.checkTimeout(opts.lockTimeout, 'options.lockTimeout', DEFAULT_LOCK_TIMEOUT_MS);
    this.#pollInterval = check.checkTimeout(opts.pollInterval, 'options.pollInterval', DEFAULT_POLL_INTERVAL_MS);
    if (opts.readOnly !== undefined) check.checkBoolean(opts.readOnly, 'options.readOnly');
    if (isWriter) {
      if (size === undefined) size = DEFAULT_SIZE;
      check.checkSize(size, layout);
    } else if (size !== undefined) {
      check.checkSize(size, layout);
    }
    // Readers of v1 and v0 never write, so they map read-only; v2 readers write the ack, the
    // watch hints and repair a segment whose writer died, unless told readOnly.
    const readOnly = !isWriter && (layout !== 'v2' || opts.readOnly === true);
    const flags = (isWriter ? OPEN_CREATE : 0) | (persistent ? 0 : OPEN_UNLINK) | (readOnly ? OPEN_READONLY : 0);
    const h = native.streamOpen(name, size === undefined ? 0 : size, flags, check.LAYOUTS[layout], mode, lockTimeout);
    this[kHandle] = h;
    registry.register(this, h, this);
    this.#name = name;
    this.#size = native.streamInfo(h).size;
    this.#layout = layout;
    this.#persistent = persistent;
    this.#readOnly = readOnly;
  }

  /** The segment's name. */
  get name() { return this.#name; }
  /** Bytes mapped: the whole segment, header included. */
  get size() { return this.#size; }
  /** The wire layout: 'v2', 'v1' or 'v0'. */
  get layout() { return this.#layout; }
  /** Whether the segment outlives this object (false: removed on close). */
  get persistent() { return this.#persistent; }
  /** Whether the mapping is read-only. */
  get readOnly() { return this.#readOnly; }
  /** True once close() has been called. */
  get closed() { return this[kHandle] === 0; }
  /** The segment's revision: incremented by every write (layout v2). */
  get revision() { return native.query(handleOf(this), Q_REVISION); }

  /** The flags byte: kMemoryChanged toggled by each write, plus the type bit of the payload. */
  readFlags() {
    return native.readFlags(handleOf(this));
  }

  /** Lets the process exit while this stream is watching. Returns this. */
  unref() {
    this.#watches.setKeepAlive(false);
    return this;
  }

  /** Undoes unref(). Returns this. */
  ref() {
    this.#watches.setKeepAlive(true);
    return this;
  }

  // Starts an engine watcher on a header word; notify() runs on this thread after each change
  // (calls coalesce). Returns the function that stops it.
  [kWatch](field, notify) {
    return this.#watches.add(native.watchStart(handleOf(this), field, this.#pollInterval, notify));
  }

  /** Releases the mapping; removes the segment if it is not persistent. Calling it again does nothing. */
  close() {
    const h = this[kHandle];
    if (h === 0) return;
    this[kHandle] = 0;
    this.#watches.stopAll();
    registry.unregister(this);
    try {
      native.streamClose(h);
    } finally {
      this.emit('close');
    }
  }

  [kCheckWritable]() {
    if (this.#readOnly) throw errors.readOnly(this.#name);
  }
}

if (typeof Symbol.dispose === 'symbol') {
  SharedMemoryStream.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

class NodeSharedMemoryWriteStream extends SharedMemoryStream {
  /**
   * Creates the segment (or attaches to an existing one, growing it to `size`).
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes of the whole segment, header included; default 65535
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', mode?: number, lockTimeout?: number, pollInterval?: number}} [options]
   */
  constructor(name, size, persistent, options) {
    super(true, name, size, persistent, options);
  }

  writeString(value) {
    if (typeof value !== 'string') throw errors.invalidType('value', 'a string', value);
    native.writeString(handleOf(this), value);
  }

  writeFloatArray(value) {
    if (!(value instanceof Float32Array) && !types.isFloat32Array(value)) {
      throw errors.invalidType('value', 'a Float32Array', value);
    }
    native.writeView(handleOf(this), value, kMemoryTypeFloat);
  }

  writeDoubleArray(value) {
    if (!(value instanceof Float64Array) && !types.isFloat64Array(value)) {
      throw errors.invalidType('value', 'a Float64Array', value);
    }
    native.writeView(handleOf(this), value, kMemoryTypeDouble);
  }

  /** Writes the bytes of any Buffer, TypedArray or DataView, with type bit kMemoryTypeBuffer. */
  writeBuffer(value) {
    check.checkView(value, 'value');
    native.writeView(handleOf(this), value, kMemoryTypeBuffer);
  }

  /** Whether a reader has marked the latest write as read (ack == revision; layout v2). */
  isMessageRead() {
    return native.query(handleOf(this), Q_IS_MESSAGE_READ) === 1;
  }

  /** Resolves once a reader has marked the latest write as read (layout v2). */
  waitForRead(options) {
    const { timeout, signal } = check.checkWaitOptions(options);
    handleOf(this);
    return waitUntil({
      name: this.name, emitter: this, timeout, signal,
      test: () => ({ done: this.isMessageRead() }),
      subscribe: (notify) => this[kWatch](FIELD_ACK, notify),
    });
  }
}

class NodeSharedMemoryReadStream extends SharedMemoryStream {
  #stopChangeWatch = null;
  #lastEmitted = 0;

  /**
   * Opens an existing segment.
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes to map; default the segment's real size
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', lockTimeout?: number, pollInterval?: number, readOnly?: boolean}} [options]
   */
  constructor(name, size, persistent, options) {
    super(false, name, size, persistent, options);
    // 'change' events need an engine watcher exactly while someone listens.
    this.on('newListener', (event) => {
      if (event === 'change' && this.#stopChangeWatch === null) this.#startChangeWatch();
    });
    this.on('removeListener', (event) => {
      if (event === 'change' && this.listenerCount('change') === 0 && this.#stopChangeWatch !== null) {
        const stop = this.#stopChangeWatch;
        this.#stopChangeWatch = null;
        stop();
      }
    });
    this.on('close', () => { this.#stopChangeWatch = null; });
  }

  readString() {
    return native.readString(handleOf(this));
  }

  readFloatArray() {
    return native.readFloatArray(handleOf(this));
  }

  readDoubleArray() {
    return native.readDoubleArray(handleOf(this));
  }

  /** The payload's bytes, whatever its type, as a new Buffer. */
  readBuffer() {
    return native.readBuffer(handleOf(this));
  }

  /**
   * The value by its type bits: a string, Float32Array, Float64Array or Buffer (kMemoryTypeBuffer),
   * or null when nothing has been written.
   */
  read() {
    return native.read(handleOf(this));
  }

  /**
   * Copies the payload's bytes into `target` without allocating, and returns the number of whole
   * elements written (bytes for a Buffer, Uint8Array or DataView). RangeError if it does not fit.
   */
  readInto(target) {
    check.checkView(target, 'target');
    // Type 0: the payload where the flags byte says it is (only layout v0 places types apart).
    let bytes;
    try {
      bytes = native.readInto(handleOf(this), target, 0);
    } catch (err) {
      if (err.segment === undefined) err.segment = this.name;
      throw err;
    }
    return target.BYTES_PER_ELEMENT ? Math.floor(bytes / target.BYTES_PER_ELEMENT) : bytes;
  }

  /** Whether the revision moved since this reader last read (layout v2). */
  hasNewData() {
    return native.query(handleOf(this), Q_HAS_NEW_DATA) === 1;
  }

  /** Stores the revision of the value this reader last read into ack, waking waitForRead (layout v2). */
  markAsRead() {
    const h = handleOf(this);
    // v1/v0 readers are read-only too, but the engine's ERR_SHM_UNSUPPORTED says more there.
    if (this.layout === 'v2') this[kCheckWritable]();
    native.query(h, Q_MARK_AS_READ);
  }

  /**
   * Resolves with the current value once there is one this reader has not read: at once if
   * hasNewData(), otherwise at the next write (layout v2).
   */
  waitForChange(options) {
    const { timeout, signal } = check.checkWaitOptions(options);
    handleOf(this);
    return waitUntil({
      name: this.name, emitter: this, timeout, signal,
      test: () => (this.hasNewData() ? { done: true, value: this.read() } : { done: false }),
      subscribe: (notify) => this[kWatch](FIELD_REVISION, notify),
    });
  }

  /** Yields each new value (several quick writes may be seen as one: the last) until close(). */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      try {
        yield await this.waitForChange();
      } catch (err) {
        if (err.code === 'ERR_SHM_CLOSED') return;
        throw err;
      }
    }
  }

  #startChangeWatch() {
    const h = handleOf(this);
    this.#lastEmitted = native.query(h, Q_REVISION); // throws ERR_SHM_UNSUPPORTED on v1/v0
    this.#stopChangeWatch = this[kWatch](FIELD_REVISION, () => this.#onRevision());
  }

  #onRevision() {
    if (this.closed || this.listenerCount('change') === 0) return;
    let value;
    try {
      if (native.query(this[kHandle], Q_REVISION) === this.#lastEmitted) return;
      value = this.read();
      this.#lastEmitted = native.query(this[kHandle], Q_SEEN);
    } catch (err) {
      this.emit('error', err);
      return;
    }
    this.emit('change', value);
  }
}

/** Removes a segment's name; processes that have it mapped keep their mapping. */
function unlink(name) {
  check.checkName(name);
  native.unlink(name);
}

module.exports = {
  NodeSharedMemoryWriteStream,
  NodeSharedMemoryReadStream,
  unlink,
  kMemoryChanged,
  kMemoryTypeString,
  kMemoryTypeFloat,
  kMemoryTypeDouble,
  kMemoryTypeBuffer,
  DEFAULT_NAME,
  DEFAULT_SIZE,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
};
