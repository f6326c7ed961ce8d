// Every error this package throws or rejects with is built here: those of the JavaScript checks, and
// (through fromNative, handed to the addon once by lib/native.js) those of the addon and the engine.
// One shape for all: a .code to switch on, and .segment naming the segment concerned.
'use strict';

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
  if (typeof value === 'object' || typeof value === 'function') {
    const ctor = value.constructor && value.constructor.name;
    return ctor ? `an instance of ${ctor}` : `an object`;
  }
  return `${typeof value} ${String(value)}`;
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

// `new SharedMemory()` called directly: it has no code, like a misuse of a private constructor.
function privateConstructor(use) {
  return new TypeError(`use ${use}`);
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

// ---- waits (lib/wait.js) ----

function timeout(name, ms) {
  const message = `timed out after ${ms} ms waiting on shared memory segment ${JSON.stringify(name)}`;
  return withCode(new Error(message), 'ERR_SHM_TIMEOUT', name);
}

// The shape of Node's own AbortError (name, code, the signal's reason as cause).
function aborted(signal) {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

// ---- the addon ----

function notBuilt(files) {
  return withCode(new Error(
    `node-libsharedmemory: the native addon is not built (looked for ${files.join(' and ')}); ` +
      'run `npm run rebuild` in the package folder (needs Go, a C++ compiler and Python).'), 'ERR_SHM_NOT_BUILT');
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
  invalidType, invalidValue, outOfRange, privateConstructor,
  closed, readOnly, messageTooLarge,
  timeout, aborted,
  notBuilt, fromNative,
};
