// The Promise behind every wait…() method: settles when a condition holds after a notification,
// rejects on timeout (ERR_SHM_TIMEOUT), on abort (AbortError) and when the stream closes.
'use strict';
const errors = require('./errors');

/**
 * @param {object} w
 * @param {string} w.name segment name, for messages
 * @param {(notify: () => void) => () => void} w.subscribe starts notifications; returns unsubscribe
 * @param {() => {done: boolean, value?: any}} w.test checked now and after every notification
 * @param {import('events').EventEmitter} w.emitter emits 'close' when the stream closes
 * @param {number|undefined} w.timeout
 * @param {AbortSignal|undefined} w.signal
 */
function waitUntil({ name, subscribe, test, emitter, timeout, signal }) {
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  let first;
  try {
    first = test();
  } catch (err) {
    return Promise.reject(err);
  }
  if (first.done) return Promise.resolve(first.value);
  return new Promise((resolve, reject) => {
    let timer;
    let settled = false;
    let unsubscribe = () => {};
    const finish = (err, value) => {
      settled = true;
      unsubscribe();
      unsubscribe = () => {};
      clearTimeout(timer);
      emitter.removeListener('close', onClose);
      if (signal) signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const onClose = () => finish(errors.closed(name));
    const onAbort = () => finish(abortError(signal));
    emitter.once('close', onClose);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        const err = new Error(`timed out after ${timeout} ms waiting on shared memory segment ${JSON.stringify(name)}`);
        err.code = 'ERR_SHM_TIMEOUT';
        err.segment = name;
        finish(err);
      }, timeout);
    }
    try {
      unsubscribe = subscribe(() => {
        // A notification queued before the wait settled must not run the test again: for a
        // queue, the test consumes a message, which would then be lost.
        if (settled) return;
        let r;
        try {
          r = test();
        } catch (err) {
          finish(err);
          return;
        }
        if (r.done) finish(null, r.value);
      });
      // A change between the first test and the subscription is caught here.
      if (!settled) {
        const again = test();
        if (again.done) finish(null, again.value);
      }
    } catch (err) {
      finish(err);
    }
  });
}

function abortError(signal) {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

module.exports = { waitUntil };
