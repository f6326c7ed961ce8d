// NodeSharedMemoryWriteStream and NodeSharedMemoryReadStream: the API of node-libsharedmemory 0.0.9
// (SPEC §2.1), plus close(), layouts, binary payloads, change detection and change events.
// Arguments are checked here; the addon trusts them.
'use strict';
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { waitUntil, untilClosed } = require('./wait');
const { Attached, handleOf, watch } = require('./attached');

const C = native.constants;

// Public defaults of the 0.0.9 constructors (SPEC §2.1).
const DEFAULT_NAME = '__node-sharedmemory$';
const DEFAULT_SIZE = 65535;

// Whether an object is a stream of this module (a brand check, for the accessors): set below.
let isStream;

class SharedMemoryStream extends Attached {
  #size;
  #layout;
  #persistent;
  #readOnly;

  static {
    isStream = (obj) => obj !== null && typeof obj === 'object' && #size in obj;
  }

  constructor(isWriter, name = DEFAULT_NAME, size, persistent = true, options) {
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    // Only a writer takes `reset`: readers never change the header, and a typo'd key is refused.
    const keys = ['layout', 'mode', 'lockTimeout', 'pollInterval', 'readOnly', 'allowForeignOwner'];
    const opts = check.readOptions(options, isWriter ? [...keys, 'reset'] : keys);
    const layout = check.checkLayout(opts.layout);
    const mode = check.checkMode(opts.mode);
    const { lockTimeout, pollInterval } = check.checkEngineTimes(opts);
    if (opts.readOnly !== undefined) check.checkBoolean(opts.readOnly, 'options.readOnly');
    // Only a writer is refused another user's segment (the engine's rule); readers accept it anyway.
    const foreign = opts.allowForeignOwner !== undefined && check.checkBoolean(opts.allowForeignOwner, 'options.allowForeignOwner');
    // A writer starts from a new segment's header, as the original's did, unless told reset: false.
    const reset = isWriter && (opts.reset === undefined || check.checkBoolean(opts.reset, 'options.reset'));
    if (isWriter) {
      if (size === undefined) size = DEFAULT_SIZE;
      check.checkSize(size, layout);
    } else if (size !== undefined) {
      check.checkSize(size, layout);
    }
    // Readers of v1 and v0 never write, so they map read-only; v2 readers write the ack, the
    // watch hints and repair a segment whose writer died, unless told readOnly.
    const readOnly = !isWriter && (layout !== 'v2' || opts.readOnly === true);
    const flags = (isWriter ? C.OPEN_CREATE : 0) | (persistent ? 0 : C.OPEN_UNLINK) | (readOnly ? C.OPEN_READONLY : 0) |
      (foreign ? C.OPEN_ALLOW_FOREIGN : 0) | (reset ? C.OPEN_RESET : 0);
    // Size 0: a reader maps the whole segment, whatever its size.
    const [handle, mapped] = native.streamOpen(name, size === undefined ? 0 : size, flags, check.LAYOUTS[layout], mode, lockTimeout);
    super(handle, name, native.streamClose, pollInterval);
    this.#size = mapped;
    this.#layout = layout;
    this.#persistent = persistent;
    this.#readOnly = readOnly;
  }

  /** Bytes mapped: the whole segment, header included. */
  get size() { return this.#size; }
  /** The wire layout: 'v2', 'v1' or 'v0'. */
  get layout() { return this.#layout; }
  /** Whether the segment outlives this object (false: removed on close). */
  get persistent() { return this.#persistent; }
  /** Whether the mapping is read-only. */
  get readOnly() { return this.#readOnly; }
  /** The segment's revision: incremented by every write (layout v2). */
  get revision() { return native.query(handleOf(this), C.QUERY_REVISION); }

  /** The flags byte: kMemoryChanged toggled by each write, plus the type bit of the payload. */
  readFlags() {
    return native.readFlags(handleOf(this));
  }
}

class NodeSharedMemoryWriteStream extends SharedMemoryStream {
  /**
   * Creates the segment (or attaches to an existing one, growing it to `size`, and resetting its
   * header to a new segment's unless `options.reset` is false).
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes of the whole segment, header included; default 65535
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', mode?: number, lockTimeout?: number, pollInterval?: number, allowForeignOwner?: boolean, reset?: boolean}} [options]
   */
  constructor(name, size, persistent, options) {
    super(true, name, size, persistent, options);
  }

  writeString(value) {
    if (typeof value !== 'string') throw errors.invalidType('value', 'a string', value);
    native.writeString(handleOf(this), value);
  }

  writeFloatArray(value) {
    check.checkTypedArray(value, 'value', 'Float32Array');
    native.writeView(handleOf(this), value, C.TYPE_FLOAT);
  }

  writeDoubleArray(value) {
    check.checkTypedArray(value, 'value', 'Float64Array');
    native.writeView(handleOf(this), value, C.TYPE_DOUBLE);
  }

  /** Writes the bytes of any Buffer, TypedArray or DataView, with type bit kMemoryTypeBuffer. */
  writeBuffer(value) {
    check.checkView(value, 'value');
    native.writeView(handleOf(this), value, C.TYPE_BYTES);
  }

  /** Whether a reader has marked the latest write as read (ack == revision; layout v2). */
  isMessageRead() {
    return native.query(handleOf(this), C.QUERY_IS_MESSAGE_READ) === 1;
  }

  /** Resolves once a reader has marked the latest write as read (layout v2). */
  waitForRead(options) {
    const { timeout, signal } = check.checkWaitOptions(options);
    handleOf(this);
    return waitUntil({
      owner: this, timeout, signal,
      test: () => ({ done: this.isMessageRead() }),
      subscribe: (notify) => watch(this, (h, pollMs) => native.watchStart(h, C.FIELD_ACK, pollMs, notify)),
    });
  }
}

class NodeSharedMemoryReadStream extends SharedMemoryStream {
  #stopChangeWatch = null;

  /**
   * Opens an existing segment.
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes to map; default the segment's real size
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', lockTimeout?: number, pollInterval?: number, readOnly?: boolean}} [options]
   */
  constructor(name, size, persistent, options) {
    super(false, name, size, persistent, options);
    // 'change' events need an engine watch exactly while someone listens. Starting it throws
    // (ERR_SHM_UNSUPPORTED on v1/v0, ERR_SHM_CLOSED) before the listener is added.
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
    // The engine ended the watch with the stream.
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
    const h = handleOf(this);
    let bytes;
    try {
      bytes = native.readInto(h, target);
    } catch (err) {
      // The addon's "target is too small" concerns this segment too, but names none.
      if (err.segment === undefined) err.segment = this.name;
      throw err;
    }
    // By the view's internal type, not its (replaceable) BYTES_PER_ELEMENT property.
    return Math.floor(bytes / check.elementSize(target));
  }

  /** Whether the revision moved since this reader last read (layout v2). */
  hasNewData() {
    return native.query(handleOf(this), C.QUERY_HAS_NEW_DATA) === 1;
  }

  /** Stores the revision of the value this reader last read into ack, waking waitForRead (layout v2). */
  markAsRead() {
    const h = handleOf(this);
    // v1/v0 readers are read-only too, but the engine's ERR_SHM_UNSUPPORTED says more there.
    if (this.layout === 'v2' && this.readOnly) throw errors.readOnly(this.name);
    native.query(h, C.QUERY_MARK_AS_READ);
  }

  /**
   * Resolves with the current value once there is one this reader has not read: at once if
   * hasNewData(), otherwise at the next write (layout v2).
   */
  waitForChange(options) {
    const { timeout, signal } = check.checkWaitOptions(options);
    handleOf(this);
    return waitUntil({
      owner: this, timeout, signal,
      test: () => (this.hasNewData() ? { done: true, value: this.read() } : { done: false }),
      subscribe: (notify) => watch(this, (h, pollMs) => native.watchStart(h, C.FIELD_REVISION, pollMs, notify)),
    });
  }

  /** Yields each new value (several quick writes may be seen as one: the last) until close(). */
  [Symbol.asyncIterator]() {
    return untilClosed(() => NodeSharedMemoryReadStream.prototype.waitForChange.call(this));
  }

  #startChangeWatch() {
    this.#stopChangeWatch = watch(this, (h, pollMs) =>
      native.changeWatchStart(h, pollMs, (err, value) => this.#onChange(err, value)));
  }

  // The change watch brings the new value, read by the addon once per revision (so it counts as
  // this reader's read), or the error that read met. A call already queued when the stream closed
  // or lost its last listener has nobody to tell.
  #onChange(err, value) {
    if (this.closed || this.listenerCount('change') === 0) return;
    if (err) this.emit('error', err);
    else this.emit('change', value);
  }
}

/** Removes a segment's name; processes that have it mapped keep their mapping. */
function unlink(name) {
  check.checkName(name);
  native.unlink(name);
}

check.guardAccessors(SharedMemoryStream.prototype, isStream, 'a NodeSharedMemoryWriteStream or NodeSharedMemoryReadStream');

module.exports = {
  NodeSharedMemoryWriteStream,
  NodeSharedMemoryReadStream,
  unlink,
  DEFAULT_NAME,
  DEFAULT_SIZE,
};
