// SharedMemory: a raw named segment (libsharedmemory's Memory, Python's SharedMemory). `.buffer` is
// an ArrayBuffer over the mapping itself (zero copy); read() and write() copy, and keep working
// where the runtime refuses external buffers.
'use strict';
const native = require('./native');
const errors = require('./errors');
const check = require('./validate');
const { describeObject } = require('./inspect');

const C = native.constants;

const kCreate = Symbol('create');

// Whether a method's `this` is a SharedMemory (not another object it was call()ed on): set below.
let isSegment;
function checkThis(obj) {
  if (!isSegment(obj)) throw errors.invalidThis('a SharedMemory', obj);
}

// A SharedMemory collected without close() drops its reference here (and the addon removes a
// non-persistent name); the mapping itself stays while its ArrayBuffer is reachable.
const registry = new FinalizationRegistry((handle) => {
  try {
    native.segmentClose(handle);
  } catch {
    // Nothing to report to.
  }
});

class SharedMemory {
  #handle = 0;
  #name;
  #size;
  #persistent;
  #readOnly;
  #buffer = null;

  static {
    isSegment = (obj) => obj !== null && typeof obj === 'object' && #handle in obj;
  }

  /**
   * Creates a segment of `size` bytes, or attaches to an existing one (growing it to `size`).
   * @param {string} name
   * @param {number} size
   * @param {{mode?: number, persistent?: boolean, allowForeignOwner?: boolean}} [options] persistent false removes it on close
   */
  static create(name, size, options) {
    check.checkName(name);
    check.checkCount(size, 'size', 'bytes');
    const opts = check.readOptions(options, ['mode', 'persistent', 'allowForeignOwner']);
    const mode = check.checkMode(opts.mode);
    const persistent = opts.persistent === undefined ? true : check.checkBoolean(opts.persistent, 'options.persistent');
    const foreign = opts.allowForeignOwner !== undefined && check.checkBoolean(opts.allowForeignOwner, 'options.allowForeignOwner');
    return new SharedMemory(kCreate, name, size, C.OPEN_CREATE | (foreign ? C.OPEN_ALLOW_FOREIGN : 0), mode, persistent, false);
  }

  /**
   * Opens an existing segment: all of it, or its first `options.size` bytes.
   * @param {string} name
   * @param {{size?: number, readOnly?: boolean, persistent?: boolean}} [options]
   */
  static open(name, options) {
    check.checkName(name);
    const opts = check.readOptions(options, ['size', 'readOnly', 'persistent']);
    // 0: map the whole segment, whatever its size.
    const size = opts.size === undefined ? 0 : check.checkCount(opts.size, 'options.size', 'bytes');
    const readOnly = opts.readOnly === undefined ? false : check.checkBoolean(opts.readOnly, 'options.readOnly');
    const persistent = opts.persistent === undefined ? true : check.checkBoolean(opts.persistent, 'options.persistent');
    // The mode only applies to a segment being created, which open() never does.
    return new SharedMemory(kCreate, name, size, readOnly ? C.OPEN_READONLY : 0, check.DEFAULT_MODE, persistent, readOnly);
  }

  constructor(token, name, size, flags, mode, persistent, readOnly) {
    if (token !== kCreate) throw errors.privateConstructor('SharedMemory.create() or SharedMemory.open()');
    // OPEN_UNLINK (persistent false): the addon removes the name in segmentClose, in the same call
    // as the close, so that a thread terminated in between leaves no name behind; and when the
    // thread ends before close(), with the rest of what it held.
    const [handle, mapped] = native.segmentOpen(name, size, flags | (persistent ? 0 : C.OPEN_UNLINK), mode);
    this.#handle = handle;
    this.#name = name;
    this.#size = mapped;
    this.#persistent = persistent;
    this.#readOnly = readOnly;
    registry.register(this, handle, this);
  }

  get name() { return this.#name; }
  /** Bytes mapped. */
  get size() { return this.#size; }
  get persistent() { return this.#persistent; }
  get readOnly() { return this.#readOnly; }
  get closed() { return this.#handle === 0; }

  [require('util').inspect.custom](depth, options, show) {
    const fields = { name: this.#name, size: this.#size, persistent: this.#persistent, readOnly: this.#readOnly, closed: this.closed };
    return describeObject(this, fields, depth, options, show);
  }

  /**
   * An ArrayBuffer over the mapping: writes through it are seen by every process at once. The
   * same buffer is returned each time; close() detaches it (and every view on it).
   */
  get buffer() {
    checkThis(this);
    if (this.#handle === 0) throw errors.closed(this.#name);
    // JavaScript has no read-only ArrayBuffer: a store into a PROT_READ page would kill the process.
    if (this.#readOnly) throw errors.readOnly(this.#name);
    if (this.#buffer === null) this.#buffer = native.segmentBuffer(this.#handle);
    return this.#buffer;
  }

  /** Copies `length` bytes at `offset` (default: to the end) into a new Buffer. */
  read(offset = 0, length) {
    checkThis(this);
    this.#checkOpen();
    this.#checkOffset(offset);
    if (length === undefined) length = this.#size - offset;
    if (typeof length !== 'number') throw errors.invalidType('length', 'a number', length);
    if (!Number.isInteger(length) || length < 0 || length > this.#size - offset) {
      throw errors.outOfRange('length', `must be an integer from 0 to ${this.#size - offset} (the bytes after offset ${offset})`, length);
    }
    return native.segmentRead(this.#handle, offset, length);
  }

  /** Copies the bytes of `data` (Buffer, TypedArray or DataView) into the segment at `offset`. */
  write(offset, data) {
    checkThis(this);
    this.#checkOpen();
    this.#checkOffset(offset);
    // The view's real length (not a `byteLength` property it may have been given).
    const bytes = check.checkView(data, 'data');
    if (bytes > this.#size - offset) {
      throw errors.outOfRange('data', `must fit the ${this.#size - offset} bytes after offset ${offset} (it is ${bytes} bytes)`, data);
    }
    if (this.#readOnly) throw errors.readOnly(this.#name);
    native.segmentWrite(this.#handle, offset, data);
    return bytes;
  }

  /** Removes the segment's name; this mapping (and other processes' mappings) stay usable. */
  unlink() {
    checkThis(this);
    native.unlink(this.#name);
  }

  /**
   * Detaches `.buffer` and every view on it, and drops this object's reference to the mapping.
   * A non-persistent segment's name is removed. Calling it again does nothing.
   */
  close() {
    checkThis(this);
    const h = this.#handle;
    if (h === 0) return;
    this.#handle = 0;
    registry.unregister(this);
    const buffer = this.#buffer;
    this.#buffer = null;
    native.segmentClose(h, buffer === null ? undefined : buffer);
  }

  #checkOpen() {
    if (this.#handle === 0) throw errors.closed(this.#name);
  }

  #checkOffset(offset) {
    if (typeof offset !== 'number') throw errors.invalidType('offset', 'a number', offset);
    if (!Number.isInteger(offset) || offset < 0 || offset > this.#size) {
      throw errors.outOfRange('offset', `must be an integer from 0 to ${this.#size}`, offset);
    }
  }
}

check.guardAccessors(SharedMemory.prototype, (obj) => isSegment(obj), 'a SharedMemory');

if (typeof Symbol.dispose === 'symbol') {
  SharedMemory.prototype[Symbol.dispose] = function dispose() { this.close(); };
}

module.exports = { SharedMemory };
