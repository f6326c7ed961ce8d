// NodeSharedMemoryWriteStream and NodeSharedMemoryReadStream: the API of node-libsharedmemory 0.0.9
// (SPEC §2.1), plus close(), layouts, binary payloads, change detection and change events.
// Arguments are checked here; the addon trusts them.
'use strict';
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { waitUntil, untilClosed } = require('./wait');
const { Attached, handleOf, watch } = require('./attached');
const locks = require('./locks');
const { describeObject } = require('./inspect');

const C = native.constants;

// Public defaults of the 0.0.9 constructors (SPEC §2.1).
const DEFAULT_NAME = '__node-sharedmemory$';
const DEFAULT_SIZE = 65535;

// Whether an object is a stream of this module (a brand check, for the accessors): set below.
let isStream;
// Reports what the stale-lock rule took over during the operation just made (nothing when off).
let noteLockBroken;
// Called after every native call of a reader that may have moved it to a new segment: notices the
// move in the cell the addon keeps up to date, and emits 'reattach'. Set below.
let noticeReattach;
// The generation of the segment a reader last noticed it maps (0 until its first move). Set below.
let generationOf;
// readFloatArray()/readDoubleArray() of a payload up to this many bytes copy it into a scratch
// array of this module instance (each worker has its own) and slice the value off it. V8 keeps a
// typed array this small in its own heap (its limit: --typed-array-max-size-in-heap, 64); a larger
// one needs an ArrayBuffer allocated outside, which costs the same however it is made, so those
// the addon reads straight into a new array.
const SMALL_ARRAY_BYTES = 64;
const smallFloats = new Float32Array(SMALL_ARRAY_BYTES / 4);
const smallDoubles = new Float64Array(SMALL_ARRAY_BYTES / 8);

// A typed read: the payload's size when it went into the scratch array, else the new array.
function readTyped(h, scratch, type) {
  const got = native.readTyped(h, scratch, type);
  return typeof got === 'number' ? scratch.slice(0, Math.floor(got / scratch.BYTES_PER_ELEMENT)) : got;
}

// What every read does after the engine call: notice a move, report a stale lock taken over.
function afterRead(stream) {
  noticeReattach(stream);
  noteLockBroken(stream);
}

class SharedMemoryStream extends Attached {
  #size;
  #layout;
  #persistent;
  #readOnly;
  #staleLockTimeout;
  // A reader that follows its name: [generation, bytes mapped], kept up to date by the addon
  // after each engine call (one element compared per read, no call). null otherwise.
  #cell = null;
  #generation = 0;

  static {
    isStream = (obj) => obj !== null && typeof obj === 'object' && #size in obj;
    generationOf = (stream) => stream.#generation;
    noteLockBroken = (stream) => {
      if (stream.#staleLockTimeout === 0 || stream.closed) return;
      const holder = native.query(handleOf(stream), C.QUERY_LOCK_BROKEN);
      if (holder !== 0) locks.reportLockBroken(stream, 'write', holder, stream.#staleLockTimeout);
    };
    noticeReattach = (stream, now) => {
      const cell = stream.#cell;
      if (cell === null || cell[0] === stream.#generation) return;
      stream.#generation = cell[0];
      stream.#size = cell[1];
      // Not from inside the read that moved it (user code would run in the middle of a read);
      // a change event, already on its own turn, is preceded by it directly.
      if (now) stream.emit('reattach');
      else process.nextTick(() => { if (!stream.closed) stream.emit('reattach'); });
    };
  }

  constructor(isWriter, name = DEFAULT_NAME, size, persistent = true, options) {
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    // Only a writer takes `reset` (readers never change the header) and only a reader `reattach` (a
    // writer made the name itself): a key the role does not take is refused like a typo.
    const keys = ['layout', 'mode', 'lockTimeout', 'pollInterval', 'readOnly', 'allowForeignOwner', 'staleLockTimeout'];
    const opts = check.readOptions(options, isWriter ? [...keys, 'reset'] : [...keys, 'reattach']);
    const layout = check.checkLayout(opts.layout);
    const mode = check.checkMode(opts.mode);
    const { lockTimeout, pollInterval } = check.checkEngineTimes(opts);
    if (opts.readOnly !== undefined) check.checkBoolean(opts.readOnly, 'options.readOnly');
    const staleLockTimeout = check.checkStaleLockTimeout(opts.staleLockTimeout, lockTimeout);
    if (staleLockTimeout !== 0 && !isWriter && opts.readOnly === true) {
      throw errors.invalidValue('options.staleLockTimeout', 'no stale-lock rule on a readOnly reader (a read-only mapping can never take a lock over)', staleLockTimeout);
    }
    // Readers follow their name to a new segment unless told not to; a writer made the name itself.
    const reattach = opts.reattach === undefined || check.checkBoolean(opts.reattach, 'options.reattach');
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
    // v1 and v0 have no lock for the rule to apply to.
    this.#staleLockTimeout = layout === 'v2' ? staleLockTimeout : 0;
    if (this.#staleLockTimeout !== 0) native.streamStaleLock(handle, staleLockTimeout);
    if (!isWriter && reattach) {
      const cell = new Uint32Array(2);
      native.streamReattach(handle, pollInterval, size === undefined ? 0 : size, cell);
      this.#cell = cell;
      this.#generation = cell[0];
    }
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
  get revision() {
    const r = native.query(handleOf(this), C.QUERY_REVISION);
    noticeReattach(this);
    return r;
  }

  [require('util').inspect.custom](depth, options, show) {
    let revision;
    // Looked at without noticeReattach: printing an object must not queue its events.
    try {
      if (!this.closed && this.#layout === 'v2') revision = native.query(handleOf(this), C.QUERY_REVISION);
    } catch {
      // A faulted mapping: the fields below still say which stream this is.
    }
    const fields = { name: this.name, layout: this.#layout, size: this.#size, revision, closed: this.closed };
    if (revision === undefined) delete fields.revision;
    return describeObject(this, fields, depth, options, show);
  }

  /** The flags byte: kMemoryChanged toggled by each write, plus the type bit of the payload. */
  readFlags() {
    const f = native.readFlags(handleOf(this));
    noticeReattach(this);
    return f;
  }

  /**
   * Takes the v2 write lock over from whoever holds it (a libsharedmemory peer that died holding it
   * stays there forever), repairs the value (empty, no type bit: the holder may have died mid-write)
   * and releases it. Returns the lock word broken, or false when the lock was free. A holder known
   * alive is refused (ERR_SHM_LOCK_HELD) unless { force: true }.
   */
  breakLock(options) {
    const h = handleOf(this);
    const { force } = check.readBreakOptions(options);
    if (this.#layout === 'v2' && this.#readOnly) throw errors.readOnly(this.name);
    const holder = native.streamBreakLock(h, force === true);
    return holder === 0 ? false : holder;
  }
}

class NodeSharedMemoryWriteStream extends SharedMemoryStream {
  /**
   * Creates the segment (or attaches to an existing one, growing it to `size`, and resetting its
   * header to a new segment's unless `options.reset` is false).
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes of the whole segment, header included; default 65535
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', mode?: number, lockTimeout?: number, staleLockTimeout?: number, pollInterval?: number, allowForeignOwner?: boolean, reset?: boolean}} [options]
   */
  constructor(name, size, persistent, options) {
    super(true, name, size, persistent, options);
  }

  writeString(value) {
    if (typeof value !== 'string') throw errors.invalidType('value', 'a string', value);
    native.writeString(handleOf(this), value);
    noteLockBroken(this);
  }

  writeFloatArray(value) {
    check.checkTypedArray(value, 'value', 'Float32Array');
    native.writeView(handleOf(this), value, C.TYPE_FLOAT);
    noteLockBroken(this);
  }

  writeDoubleArray(value) {
    check.checkTypedArray(value, 'value', 'Float64Array');
    native.writeView(handleOf(this), value, C.TYPE_DOUBLE);
    noteLockBroken(this);
  }

  /** Writes the bytes of any Buffer, TypedArray or DataView, with type bit kMemoryTypeBuffer. */
  writeBuffer(value) {
    check.checkView(value, 'value');
    native.writeView(handleOf(this), value, C.TYPE_BYTES);
    noteLockBroken(this);
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
   * @param {{layout?: 'v2'|'v1'|'v0', lockTimeout?: number, staleLockTimeout?: number, pollInterval?: number, readOnly?: boolean}} [options]
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
    const value = native.readString(handleOf(this));
    afterRead(this);
    return value;
  }

  readFloatArray() {
    const value = readTyped(handleOf(this), smallFloats, C.TYPE_FLOAT);
    afterRead(this);
    return value;
  }

  readDoubleArray() {
    const value = readTyped(handleOf(this), smallDoubles, C.TYPE_DOUBLE);
    afterRead(this);
    return value;
  }

  /** The payload's bytes, whatever its type, as a new Buffer. */
  readBuffer() {
    const value = native.readBuffer(handleOf(this));
    afterRead(this);
    return value;
  }

  /**
   * The value by its type bits: a string, Float32Array, Float64Array or Buffer (kMemoryTypeBuffer),
   * or null when nothing has been written.
   */
  read() {
    const value = native.read(handleOf(this));
    afterRead(this);
    return value;
  }

  /**
   * Copies the payload's bytes into `target` without allocating, and returns the number of whole
   * elements written (bytes for a Buffer, Uint8Array or DataView). RangeError if it does not fit.
   */
  readInto(target) {
    check.checkView(target, 'target');
    const h = handleOf(this);
    // By the view's internal type, not its (replaceable) BYTES_PER_ELEMENT property. The engine
    // copies whole elements only, so a payload ending in part of one leaves that element as it was.
    const unit = check.elementSize(target);
    let bytes;
    try {
      bytes = native.readInto(h, target, unit);
    } catch (err) {
      // The addon's "target is too small" concerns this segment too, but names none.
      if (err.segment === undefined) err.segment = this.name;
      throw err;
    }
    afterRead(this);
    return Math.floor(bytes / unit);
  }

  /** Whether the revision moved since this reader last read (layout v2). */
  hasNewData() {
    const news = native.query(handleOf(this), C.QUERY_HAS_NEW_DATA) === 1;
    noticeReattach(this);
    return news;
  }

  /** Stores the revision of the value this reader last read into ack, waking waitForRead (layout v2). */
  markAsRead() {
    const h = handleOf(this);
    // v1/v0 readers are read-only too, but the engine's ERR_SHM_UNSUPPORTED says more there.
    if (this.layout === 'v2' && this.readOnly) throw errors.readOnly(this.name);
    native.query(h, C.QUERY_MARK_AS_READ);
    noticeReattach(this);
  }

  /**
   * Resolves with the current value (which then counts as read) at once if this reader has not
   * read it (hasNewData()), otherwise once the revision moves from the one it has when the wait
   * begins: every pending wait resolves on the same write (layout v2).
   */
  waitForChange(options) {
    const { timeout, signal } = check.checkWaitOptions(options);
    handleOf(this);
    return nextChange(this, undefined, timeout, signal);
  }

  /**
   * Yields each new value (several quick writes may be seen as one: the last) until close(). Each
   * iterator keeps its own place, so several loops on one reader each see each change.
   */
  [Symbol.asyncIterator]() {
    let since; // the place ({ revision, generation }) of the value this iterator last yielded
    return untilClosed(() => nextChange(this, since, undefined, undefined, (place) => { since = place; }));
  }

  #startChangeWatch() {
    this.#stopChangeWatch = watch(this, (h, pollMs) =>
      native.changeWatchStart(h, pollMs, (err, value) => this.#onChange(err, value)));
  }

  // The change watch brings the new value, read by the addon once per revision (a read that does
  // not count as this reader's: listeners take nothing from the waits, iterators and reads), or the
  // error that read met. A call already queued when the stream closed or lost its last listener has
  // nobody to tell.
  #onChange(err, value) {
    if (this.closed || this.listenerCount('change') === 0) return;
    noticeReattach(this, true);
    if (this.closed || this.listenerCount('change') === 0) return;
    noteLockBroken(this);
    if (err) this.emit('error', err);
    else this.emit('change', value);
  }
}

// The wait behind waitForChange() and each step of an iterator. Without `since` it resolves at once
// if the reader has not read the current value, and otherwise takes the place of that moment (the
// revision, and the generation of the segment it is in) as its own baseline; with `since` (an
// iterator's last value), once the place differs from it. Its own baseline, not the reader's state,
// is what lets each of several pending waits and iterators see the same write; the generation, that
// a move to a new segment whose revision happens to equal the old one's is news too. The value is
// read when it resolves, which counts as the reader's read; onRead gets that read's place. Called
// with any `this`: handleOf() refuses a foreign one.
function nextChange(reader, since, timeout, signal, onRead) {
  let baseline = since;
  return waitUntil({
    owner: reader, timeout, signal,
    test: () => {
      const h = handleOf(reader);
      const revision = native.query(h, C.QUERY_REVISION);
      noticeReattach(reader);
      const generation = generationOf(reader);
      if (baseline === undefined) {
        // Read before hasNewData(): a write in between makes that true, so nothing is skipped.
        if (native.query(h, C.QUERY_HAS_NEW_DATA) !== 1) {
          baseline = { revision, generation };
          return { done: false };
        }
      } else if (revision === baseline.revision && generation === baseline.generation) {
        return { done: false };
      }
      const value = native.read(h);
      afterRead(reader);
      if (onRead) onRead({ revision: native.query(h, C.QUERY_SEEN), generation: generationOf(reader) });
      return { done: true, value };
    },
    subscribe: (notify) => watch(reader, (h, pollMs) => native.watchStart(h, C.FIELD_REVISION, pollMs, notify)),
  });
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
