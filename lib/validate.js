// Argument checks shared by every public class. Each throws TypeError for a wrong type and
// RangeError for a value out of range, naming the argument, the limit and what it got.
'use strict';
const { invalidType, invalidValue, outOfRange } = require('./errors');

// NAME_MAX of /dev/shm: the segment's file name, in UTF-8 bytes.
const MAX_NAME_BYTES = 255;
// The payload size fields of every layout are u32.
const MAX_SIZE = 0xffffffff;
const LAYOUTS = { v0: 0, v1: 1, v2: 2 };
// Smallest segment holding the header of each layout (an empty payload).
const MIN_SIZE = { v0: 5, v1: 5, v2: 20 };

function checkName(name) {
  if (typeof name !== 'string') throw invalidType('name', 'a string', name);
  const bytes = Buffer.byteLength(name);
  if (bytes === 0) throw outOfRange('name', 'must not be empty', name);
  if (bytes > MAX_NAME_BYTES) throw outOfRange('name', `must be at most ${MAX_NAME_BYTES} bytes of UTF-8 (it is ${bytes})`, name);
  if (name.includes('/') || name.includes('\0')) throw outOfRange('name', "must not contain '/' or NUL", name);
  if (name === '.' || name === '..') throw outOfRange('name', "must not be '.' or '..'", name);
  return name;
}

function checkSize(size, layout) {
  if (typeof size !== 'number') throw invalidType('size', 'a number', size);
  const min = MIN_SIZE[layout];
  if (!Number.isInteger(size) || size < min || size > MAX_SIZE) {
    throw outOfRange('size', `must be an integer from ${min} (the layout ${layout} header) to ${MAX_SIZE} bytes`, size);
  }
  return size;
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
  if (mode === undefined) return 0o600;
  if (typeof mode !== 'number') throw invalidType('options.mode', 'a number', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw outOfRange('options.mode', 'must be an integer from 0 to 0o777', mode);
  return mode;
}

function checkTimeout(value, argument, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidType(argument, 'a number of milliseconds', value);
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw outOfRange(argument, 'must be an integer from 1 to 2147483647 milliseconds', value);
  }
  return value;
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
  checkWaitOptions, checkView,
  LAYOUTS, MIN_SIZE, MAX_SIZE, MAX_NAME_BYTES,
  checkName, checkSize, checkBoolean, checkOptions, checkLayout, checkMode, checkTimeout,
};
