// Argument checks shared by every public class, and the defaults they fill in. Each throws TypeError
// for a wrong type and RangeError for a value out of range, naming the argument, the limit and what
// it got. Limits and layout numbers are the engine's (native.constants, from goshm.h).
'use strict';
const { types } = require('util');
const { constants: C } = require('./native');
const { invalidType, invalidValue, outOfRange, unreadable, unknownOption, detached, invalidThis } = require('./errors');

// Public defaults of the options streams and queues share (index.d.ts documents them).
const DEFAULT_LOCK_TIMEOUT_MS = 1000;
const DEFAULT_POLL_INTERVAL_MS = 2;
// Permission bits of a created segment: the owner only (libsharedmemory's 0777 lets every local
// user write into it).
const DEFAULT_MODE = 0o600;
// setTimeout's limit, which the wait…() timeouts go through.
const MAX_TIMEOUT_MS = 0x7fffffff;

const LAYOUTS = { v0: C.LAYOUT_V0, v1: C.LAYOUT_V1, v2: C.LAYOUT_V2 };
// Smallest segment holding the header of each layout (an empty payload). v0 places a string's
// size and payload as v1 does, and an empty payload is a string's.
const MIN_SIZE = { v0: C.V1_DATA, v1: C.V1_DATA, v2: C.V2_DATA };

function checkName(name) {
  if (typeof name !== 'string') throw invalidType('name', 'a string', name);
  const bytes = Buffer.byteLength(name);
  if (bytes === 0) throw outOfRange('name', 'must not be empty', name);
  if (bytes > C.MAX_NAME_BYTES) throw outOfRange('name', `must be at most ${C.MAX_NAME_BYTES} bytes of UTF-8 (it is ${bytes})`, name);
  if (name.includes('/') || name.includes('\0')) throw outOfRange('name', "must not contain '/' or NUL", name);
  if (name === '.' || name === '..') throw outOfRange('name', "must not be '.' or '..'", name);
  return name;
}

// A stream's segment size: the layout's header at least.
function checkSize(size, layout) {
  if (typeof size !== 'number') throw invalidType('size', 'a number', size);
  const min = MIN_SIZE[layout];
  if (!Number.isInteger(size) || size < min || size > C.MAX_SIZE) {
    throw outOfRange('size', `must be an integer from ${min} (the layout ${layout} header) to ${C.MAX_SIZE} bytes`, size);
  }
  return size;
}

// A raw segment's size, a queue's capacity or maxMessageSize: a u32 field of the layouts, not 0.
function checkCount(value, argument, unit) {
  if (typeof value !== 'number') throw invalidType(argument, 'a number', value);
  if (!Number.isInteger(value) || value < 1 || value > C.MAX_SIZE) {
    throw outOfRange(argument, `must be an integer from 1 to ${C.MAX_SIZE}${unit ? ` ${unit}` : ''}`, value);
  }
  return value;
}

function checkBoolean(value, argument) {
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

/**
 * Reads the named options once each, into a plain object the checks then work on: a getter or Proxy
 * trap runs once, so what is checked is what is used, and an exception from it becomes a TypeError
 * naming the option (the caller's error as its cause). An own key the call does not take is an
 * ERR_INVALID_ARG_VALUE naming it, so that a typo is not ignored.
 * @param {unknown} options undefined or an object
 * @param {string[]} keys the options the caller takes
 */
function readOptions(options, keys) {
  const out = {};
  if (options === undefined) return out;
  if (options === null || typeof options !== 'object') throw invalidType('options', 'an object', options);
  let own;
  try {
    own = Object.keys(options);
  } catch (err) {
    throw unreadable('options', err);
  }
  for (const key of own) {
    if (!keys.includes(key)) throw unknownOption(key, keys);
  }
  for (const key of keys) {
    try {
      out[key] = options[key];
    } catch (err) {
      throw unreadable(`options.${key}`, err);
    }
  }
  return out;
}

function checkLayout(layout) {
  if (layout === undefined) return 'v2';
  if (typeof layout !== 'string') throw invalidType('options.layout', "'v2', 'v1' or 'v0'", layout);
  if (!Object.hasOwn(LAYOUTS, layout)) throw invalidValue('options.layout', "'v2', 'v1' or 'v0'", layout);
  return layout;
}

function checkMode(mode) {
  if (mode === undefined) return DEFAULT_MODE;
  if (typeof mode !== 'number') throw invalidType('options.mode', 'a number', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw outOfRange('options.mode', 'must be an integer from 0 to 0o777', mode);
  return mode;
}

function checkTimeout(value, argument, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidType(argument, 'a number of milliseconds', value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw outOfRange(argument, `must be an integer from 1 to ${MAX_TIMEOUT_MS} milliseconds`, value);
  }
  return value;
}

// options.lockTimeout and options.pollInterval, which streams and queues both take.
function checkEngineTimes(opts) {
  return {
    lockTimeout: checkTimeout(opts.lockTimeout, 'options.lockTimeout', DEFAULT_LOCK_TIMEOUT_MS),
    pollInterval: checkTimeout(opts.pollInterval, 'options.pollInterval', DEFAULT_POLL_INTERVAL_MS),
  };
}

// AbortSignal's own getter: it checks that its receiver is a real AbortSignal (ERR_INVALID_THIS
// otherwise) without running anything of the caller's.
const signalAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get;

// { timeout, signal } of the wait…() methods. The signal must be a real AbortSignal, not a Proxy of
// one (whose traps could throw later, inside the wait, where no caller would see the error).
function checkWaitOptions(options) {
  const opts = readOptions(options, ['timeout', 'signal']);
  const timeout = opts.timeout === undefined ? undefined : checkTimeout(opts.timeout, 'options.timeout');
  const { signal } = opts;
  if (signal !== undefined) {
    let real = signal !== null && typeof signal === 'object' && !types.isProxy(signal);
    try {
      if (real) signalAborted.call(signal);
    } catch {
      real = false;
    }
    if (!real) throw invalidType('options.signal', 'an AbortSignal', signal);
  }
  return { timeout, signal };
}

// ---- views ----
// Typed arrays and DataViews are read through the intrinsic getters (captured here): they check the
// internal slots, so a Proxy or an object with a faked prototype fails, and a view's own
// `byteLength` property (a getter that throws or lies) is never consulted.

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag); // undefined for anything else
const typedArrayBytes = getter(TypedArrayPrototype, 'byteLength'); // 0 once detached
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const dataViewBytes = getter(DataView.prototype, 'byteLength'); // throws once detached or out of bounds
const dataViewBuffer = getter(DataView.prototype, 'buffer');
// ArrayBuffer.prototype.detached exists from V8 12 (Node 22); Node 20 has no direct test.
const arrayBufferDetached = (Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached') || {}).get;
const Uint8 = Uint8Array;

const BYTES_PER_ELEMENT = {
  Int8Array: 1, Uint8Array: 1, Uint8ClampedArray: 1, Int16Array: 2, Uint16Array: 2, Float16Array: 2,
  Int32Array: 4, Uint32Array: 4, Float32Array: 4, Float64Array: 8, BigInt64Array: 8, BigUint64Array: 8,
};

function isDetachedBuffer(buffer) {
  if (types.isSharedArrayBuffer(buffer)) return false;
  if (arrayBufferDetached) return arrayBufferDetached.call(buffer);
  // Only a detached ArrayBuffer refuses even an empty view.
  try {
    new Uint8(buffer, 0, 0); // eslint-disable-line no-new
    return false;
  } catch {
    return true;
  }
}

// The bytes of a real view (tag: its typed-array tag, undefined for a DataView), or -1 when its
// buffer is detached. Only an empty-looking view can be a detached one, so a view with bytes costs
// one getter call.
function liveBytes(view, tag) {
  let bytes = 0;
  if (tag !== undefined) {
    bytes = typedArrayBytes.call(view);
    if (bytes === 0 && isDetachedBuffer(typedArrayBuffer.call(view))) return -1;
    return bytes;
  }
  try {
    bytes = dataViewBytes.call(view);
  } catch {
    // Detached, or out of the bounds of a shrunk resizable buffer: told apart below.
  }
  return bytes === 0 && isDetachedBuffer(dataViewBuffer.call(view)) ? -1 : bytes;
}

/**
 * A Buffer, TypedArray or DataView whose buffer is not detached: returns its length in bytes.
 * @param {unknown} value
 * @param {string} argument
 * @param {string} [expected] what the message says the argument must be
 */
function checkView(value, argument, expected = 'a Buffer, TypedArray or DataView') {
  const tag = typedArrayTag.call(value);
  if (tag === undefined && !types.isDataView(value)) throw invalidType(argument, expected, value);
  const bytes = liveBytes(value, tag);
  if (bytes < 0) throw detached(argument, value);
  return bytes;
}

// A Float32Array or Float64Array by its internal tag ('Float32Array'), not by instanceof, which a
// faked prototype or a Proxy's getPrototypeOf trap would satisfy.
function checkTypedArray(value, argument, tag) {
  if (typedArrayTag.call(value) !== tag) throw invalidType(argument, `a ${tag}`, value);
  const bytes = liveBytes(value, tag);
  if (bytes < 0) throw detached(argument, value);
  return bytes;
}

/** Whether a view checked earlier has had its buffer detached since (a wait kept it). */
function isDetachedView(view) {
  return liveBytes(view, typedArrayTag.call(view)) < 0;
}

/** Bytes per element of a checked view: 1 for a Buffer, Uint8Array or DataView. */
function elementSize(view) {
  const tag = typedArrayTag.call(view);
  return tag === undefined ? 1 : BYTES_PER_ELEMENT[tag] || 1;
}

// Wraps every getter of proto so that one called on a foreign object (taken off the prototype and
// call()ed) is ERR_INVALID_THIS, like the methods, instead of V8's uncoded TypeError from a private
// field. isMine is the class's own brand check (`#field in obj`).
function guardAccessors(proto, isMine, what) {
  for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
    if (typeof d.get !== 'function') continue;
    const get = d.get;
    Object.defineProperty(proto, key, {
      ...d,
      get: { [key]() {
        if (!isMine(this)) throw invalidThis(what, this);
        return get.call(this);
      } }[key],
    });
  }
}

/** { force } of breakLock(). */
function readBreakOptions(options, keys = ['force']) {
  const opts = readOptions(options, keys);
  if (opts.force !== undefined) checkBoolean(opts.force, 'options.force');
  return opts;
}

/** options.staleLockTimeout: 0 (off) when absent; an integer of ms below options.lockTimeout. */
function checkStaleLockTimeout(value, lockTimeout) {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw invalidType('options.staleLockTimeout', 'a number of milliseconds', value);
  // A wait ends at lockTimeout, so a stale time at or above it could never be reached.
  if (!Number.isInteger(value) || value < 1 || value >= lockTimeout) {
    throw outOfRange('options.staleLockTimeout',
      `must be an integer from 1 to ${lockTimeout - 1} milliseconds (below options.lockTimeout, ${lockTimeout})`, value);
  }
  return value;
}

module.exports = {
  guardAccessors,
  DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_POLL_INTERVAL_MS, DEFAULT_MODE, LAYOUTS,
  checkName, checkSize, checkCount, checkBoolean, readOptions, checkLayout, checkMode,
  checkEngineTimes, checkStaleLockTimeout, readBreakOptions, checkWaitOptions, checkView, checkTypedArray, isDetachedView, elementSize,
};
