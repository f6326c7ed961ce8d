// NodeSharedMemoryWriteStream and NodeSharedMemoryReadStream: the API of node-libsharedmemory 0.0.9
// (SPEC §2.1) plus close(), layouts and options. Arguments are checked here; the addon trusts them.
'use strict';
const { types } = require('util');
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');

const kMemoryChanged = 1;
const kMemoryTypeString = 2;
const kMemoryTypeFloat = 4;
const kMemoryTypeDouble = 8;

const DEFAULT_NAME = '__node-sharedmemory$';
const DEFAULT_SIZE = 65535;
const DEFAULT_LOCK_TIMEOUT_MS = 1000;

// Bits of the engine's open flags (goshm/cabi/goshm.h).
const OPEN_CREATE = 1;
const OPEN_UNLINK = 2;

const kHandle = Symbol('handle');

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

class SharedMemoryStream {
  #name;
  #size;
  #layout;
  #persistent;

  constructor(isWriter, name = DEFAULT_NAME, size, persistent = true, options) {
    check.checkName(name);
    check.checkBoolean(persistent, 'persistent');
    const opts = check.checkOptions(options);
    const layout = check.checkLayout(opts.layout);
    const mode = check.checkMode(opts.mode);
    const lockTimeout = check.checkTimeout(opts.lockTimeout, 'options.lockTimeout', DEFAULT_LOCK_TIMEOUT_MS);
    if (isWriter) {
      check.checkSize(size === undefined ? DEFAULT_SIZE : size, layout);
      size = size === undefined ? DEFAULT_SIZE : size;
    } else if (size !== undefined) {
      check.checkSize(size, layout);
    }
    const flags = (isWriter ? OPEN_CREATE : 0) | (persistent ? 0 : OPEN_UNLINK);
    this[kHandle] = 0;
    const h = native.streamOpen(name, size === undefined ? 0 : size, flags, check.LAYOUTS[layout], mode, lockTimeout);
    this[kHandle] = h;
    registry.register(this, h, this);
    this.#name = name;
    this.#size = native.streamInfo(h).size;
    this.#layout = layout;
    this.#persistent = persistent;
  }

  /** The segment's name. */
  get name() { return this.#name; }
  /** Bytes mapped: the whole segment, header included. */
  get size() { return this.#size; }
  /** The wire layout: 'v2', 'v1' or 'v0'. */
  get layout() { return this.#layout; }
  /** Whether the segment outlives this object (false: removed on close). */
  get persistent() { return this.#persistent; }
  /** True once close() has been called. */
  get closed() { return this[kHandle] === 0; }

  /** The flags byte: kMemoryChanged toggled by each write, plus the type bit of the payload. */
  readFlags() {
    return native.readFlags(handleOf(this));
  }

  /** Releases the mapping; removes the segment if it is not persistent. Calling it again does nothing. */
  close() {
    const h = this[kHandle];
    if (h === 0) return;
    this[kHandle] = 0;
    registry.unregister(this);
    native.streamClose(h);
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
   * @param {{layout?: 'v2'|'v1'|'v0', mode?: number, lockTimeout?: number}} [options]
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
}

class NodeSharedMemoryReadStream extends SharedMemoryStream {
  /**
   * Opens an existing segment.
   * @param {string} [name] default "__node-sharedmemory$"
   * @param {number} [size] bytes to map; default the segment's real size
   * @param {boolean} [persistent] default true; false removes the segment on close
   * @param {{layout?: 'v2'|'v1'|'v0', lockTimeout?: number}} [options]
   */
  constructor(name, size, persistent, options) {
    super(false, name, size, persistent, options);
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
  DEFAULT_NAME,
  DEFAULT_SIZE,
  DEFAULT_LOCK_TIMEOUT_MS,
};
