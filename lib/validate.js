// Argument checks shared by every public class, and the defaults they fill in. Each throws TypeError
// for a wrong type and RangeError for a value out of range, naming the argument, the limit and what
// it got. Limits and layout numbers are the engine's (native.constants, from goshm.h).
'use strict';
const { constants: C } = require('./native');
const { invalidType, invalidValue, outOfRange } = require('./errors');

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

function checkOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidType('options', 'an object', options);
  return options;
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

// { timeout, signal } of the wait…() methods.
function checkWaitOptions(options) {
  const opts = checkOptions(options);
  const timeout = opts.timeout === undefined ? undefined : checkTimeout(opts.timeout, 'options.timeout');
  const { signal } = opts;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw invalidType('options.signal', 'an AbortSignal', signal);
  }
  return { timeout, signal };
}

function checkView(value, argument) {
  if (!ArrayBuffer.isView(value)) throw invalidType(argument, 'a Buffer, TypedArray or DataView', value);
  return value;
}

module.exports = {
  DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_POLL_INTERVAL_MS, DEFAULT_MODE, LAYOUTS,
  checkName, checkSize, checkCount, checkBoolean, checkOptions, checkLayout, checkMode,
  checkEngineTimes, checkWaitOptions, checkView,
};
