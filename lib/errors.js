// Every error this package throws or rejects with is built here: those of the JavaScript checks, and
// (through fromNative, handed to the addon once by lib/native.js) those of the addon and the engine.
// One shape for all: a .code to switch on, and .segment naming the segment concerned.
'use strict';

const { types } = require('util');

// Views, buffers and their impostors, named so that a faked prototype is not reported as the real thing.
const VIEW_NAMES = new Set(['Buffer', 'DataView', 'ArrayBuffer', 'SharedArrayBuffer', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array',
  'Float64Array', 'BigInt64Array', 'BigUint64Array']);
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

// The name of the constructor an ordinary object inherits from, found through property descriptors so
// that no getter, Proxy trap or toPrimitive of the caller's runs (an error message must not throw).
function constructorName(value) {
  let proto = value;
  for (let depth = 0; depth < 64 && proto !== null && !types.isProxy(proto); depth++) {
    const own = Object.getOwnPropertyDescriptor(proto, 'constructor');
    if (own) {
      if (typeof own.value !== 'function' || types.isProxy(own.value)) return undefined;
      const name = Object.getOwnPropertyDescriptor(own.value, 'name');
      return name && typeof name.value === 'string' && name.value !== '' ? name.value.slice(0, 60) : undefined;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/** What a value is, for a message: never throws, and runs none of the value's code. */
function describe(value) {
  switch (typeof value) {
    case 'string': return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
    case 'bigint': return `bigint ${value}n`;
    // String() of a symbol is its description, without calling anything of the caller's.
    case 'symbol': return String(value);
    case 'object': case 'function': break;
    case 'undefined': return 'undefined';
    default: return `${typeof value} ${String(value)}`;
  }
  if (value === null) return 'null';
  if (types.isProxy(value)) return `a Proxy (${typeof value === 'function' ? 'of a function' : 'of an object'})`;
  if (typeof value === 'function') return 'a function';
  let name;
  try {
    name = constructorName(value);
  } catch {
    // An exotic object: say no more than its type.
  }
  // A real typed array by its internal tag; a Buffer by its constructor (a Uint8Array underneath).
  const tag = typedArrayTag.call(value);
  if (tag !== undefined) return name === 'Buffer' ? 'a Buffer' : `a ${tag}`;
  if (name === undefined) return 'an object';
  if (VIEW_NAMES.has(name) && !ArrayBuffer.isView(value) && !types.isAnyArrayBuffer(value)) {
    return `an object whose prototype is ${name}.prototype but which is not a ${name}`;
  }
  return `an instance of ${name}`;
}

// A thrown value as text, without running its code either (it may be a Proxy or have getters).
function describeThrown(thrown) {
  if (!types.isNativeError(thrown) || types.isProxy(thrown)) return describe(thrown);
  const message = Object.getOwnPropertyDescriptor(thrown, 'message');
  const text = message && typeof message.value === 'string' ? `: ${message.value.slice(0, 200)}` : '';
  let name;
  try {
    name = constructorName(thrown);
  } catch {
    // As in describe().
  }
  return `${name || 'Error'}${text}`;
}

function withCode(err, code, segment) {
  err.code = code;
  if (segment !== undefined) err.segment = segment;
  return err;
}

// ---- argument checks (lib/validate.js and the classes) ----

function invalidType(argument, expected, actual) {
  return withCode(new TypeError(`${argument} must be ${expected}; got ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

function invalidValue(argument, expected, actual) {
  return withCode(new TypeError(`${argument} must be ${expected}; got ${describe(actual)}`), 'ERR_INVALID_ARG_VALUE');
}

function outOfRange(argument, limit, actual) {
  return withCode(new RangeError(`${argument} ${limit}; got ${describe(actual)}`), 'ERR_OUT_OF_RANGE');
}

// An argument whose reading threw (a getter of an options object, a Proxy's trap, a revoked Proxy):
// the caller's exception is kept as the cause.
function unreadable(argument, thrown) {
  const err = new TypeError(`${argument} must be readable; reading it threw ${describeThrown(thrown)}`, { cause: thrown });
  return withCode(err, 'ERR_INVALID_ARG_VALUE');
}

// An options key the call does not take (a typo such as `lockTimeot` would otherwise be ignored
// without a word): names the key, the nearest known one if it is close, and the keys taken.
function unknownOption(key, keys) {
  const near = nearest(key, keys);
  const hint = near === undefined ? '' : `; did you mean options.${near}?`;
  const err = new TypeError(`options.${key} is not an option here${hint} (the options are ${keys.join(', ')})`);
  return withCode(err, 'ERR_INVALID_ARG_VALUE');
}

// The known key within two edits of key (case aside), if any.
function nearest(key, keys) {
  let best;
  let bestDistance = 3;
  for (const k of keys) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

// A view whose ArrayBuffer was transferred (structuredClone, postMessage) or whose SharedMemory was
// closed: it has no bytes left, and writing it would write an empty payload. Node's own code for a
// detached buffer (web streams, TextDecoder) is ERR_INVALID_STATE.
function detached(argument, actual) {
  const err = new TypeError(`${argument} must be a view over a live buffer; got ${describe(actual)} over a detached ` +
    'ArrayBuffer (transferred, or its SharedMemory closed)');
  return withCode(err, 'ERR_INVALID_STATE');
}

// A method called with a `this` that is not one of this package's objects (e.g. detached with call()).
function invalidThis(expected, actual) {
  return withCode(new TypeError(`this must be ${expected}; got ${describe(actual)}`), 'ERR_INVALID_THIS');
}

// `new SharedMemory()` called directly: the code Node gives its own private constructors.
function privateConstructor(use) {
  return withCode(new TypeError(`Illegal constructor: use ${use}`), 'ERR_ILLEGAL_CONSTRUCTOR');
}

// ---- the state of a segment or an object ----

function closed(name) {
  return withCode(new Error(`shared memory segment ${JSON.stringify(name)} is closed`), 'ERR_SHM_CLOSED', name);
}

function readOnly(name) {
  return withCode(new Error(`shared memory segment ${JSON.stringify(name)} is mapped read-only`), 'ERR_SHM_READ_ONLY', name);
}

// A queue message refused before it reaches the engine (enqueueWait checks it at once rather than
// when the wait reaches the head of the line); the same code as the engine's refusal.
function messageTooLarge(name, bytes, maxMessageSize) {
  return withCode(new RangeError(
    `message of ${bytes} bytes does not fit queue ${JSON.stringify(name)}: its maxMessageSize is ${maxMessageSize} bytes`),
  'ERR_SHM_TOO_LARGE', name);
}

// A view passed to enqueueWait() and detached while the wait was queued behind others or a full
// queue: enqueueing it would enqueue an empty message, so the wait rejects and enqueues nothing.
function detachedWhileWaiting(name) {
  const err = new TypeError(`value of enqueueWait() on queue ${JSON.stringify(name)} was detached while the wait was ` +
    'queued (its ArrayBuffer transferred, or its SharedMemory closed); nothing was enqueued');
  return withCode(err, 'ERR_INVALID_STATE', name);
}

// ---- waits (lib/wait.js) ----

function timeout(name, ms) {
  const message = `timed out after ${ms} ms waiting on shared memory segment ${JSON.stringify(name)}`;
  return withCode(new Error(message), 'ERR_SHM_TIMEOUT', name);
}

// The shape of Node's own AbortError (name, code, the signal's reason as cause).
function aborted(reason) {
  const err = new Error('The operation was aborted', { cause: reason });
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

// ---- the addon ----

function notBuilt(files) {
  return withCode(new Error(
    `node-libsharedmemory: the native addon is not built (looked for ${files.join(' and ')}); ` +
      'run `npm rebuild node-libsharedmemory` (a source build needs a C++ compiler, make and Python 3; Go is fetched).'), 'ERR_SHM_NOT_BUILT');
}

const NATIVE_CLASSES = { Error, TypeError, RangeError };

/**
 * The error factory of the addon (native.setErrorFactory): it builds every error the addon throws
 * or hands to a callback, engine errors and its own type guards alike.
 * @param {'Error'|'TypeError'|'RangeError'} className
 * @param {string} code 'ENOENT', 'ERR_SHM_CLOSED', ...
 * @param {string} message
 * @param {string|undefined} segment
 * @param {number|undefined} errno negative, for OS errors only
 * @param {string|undefined} syscall for OS errors only
 */
function fromNative(className, code, message, segment, errno, syscall) {
  const Class = Object.hasOwn(NATIVE_CLASSES, className) ? NATIVE_CLASSES[className] : Error;
  const err = new Class(message);
  // The stack starts at the JavaScript call into the addon, not in this factory.
  Error.captureStackTrace(err, fromNative);
  err.code = code;
  // Negative errno and a syscall name, as Node's own fs errors have.
  if (errno !== undefined) err.errno = errno;
  if (syscall !== undefined) err.syscall = syscall;
  if (segment !== undefined) err.segment = segment;
  return err;
}

module.exports = {
  invalidType, invalidValue, outOfRange, unreadable, unknownOption, detached, invalidThis, privateConstructor,
  closed, readOnly, messageTooLarge, detachedWhileWaiting,
  timeout, aborted,
  notBuilt, fromNative,
};
