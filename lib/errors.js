// The errors thrown from JavaScript. Errors from the engine are built by addon.cc with the same
// shape: a .code to switch on, and .segment naming the segment concerned.
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

function invalidType(argument, expected, actual) {
  const err = new TypeError(`${argument} must be ${expected}; got ${describe(actual)}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

function invalidValue(argument, expected, actual) {
  const err = new TypeError(`${argument} must be ${expected}; got ${describe(actual)}`);
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

function outOfRange(argument, limit, actual) {
  const err = new RangeError(`${argument} ${limit}; got ${describe(actual)}`);
  err.code = 'ERR_OUT_OF_RANGE';
  return err;
}

function closed(name) {
  const err = new Error(`shared memory segment ${JSON.stringify(name)} is closed`);
  err.code = 'ERR_SHM_CLOSED';
  err.segment = name;
  return err;
}

function readOnly(name) {
  const err = new Error(`shared memory segment ${JSON.stringify(name)} is mapped read-only`);
  err.code = 'ERR_SHM_READ_ONLY';
  err.segment = name;
  return err;
}

module.exports = { invalidType, invalidValue, outOfRange, closed, readOnly };
