// The Promise behind every wait…() method: settles when a condition holds after a notification,
// rejects on timeout (ERR_SHM_TIMEOUT), on abort (AbortError) and when the stream or queue closes.
'use strict';
const errors = require('./errors');

// A signal is used through AbortSignal's and EventTarget's own accessors and methods, never through
// properties the caller could have replaced on it (checkWaitOptions made sure it is a real one).
const signalAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get;
const signalReason = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'reason').get;
const { addEventListener, removeEventListener } = EventTarget.prototype;

function isAborted(signal) {
  return signal !== undefined && signalAborted.call(signal);
}

function abortError(signal) {
  return errors.aborted(signalReason.call(signal));
}

// Returns the error to reject with when even a real signal refuses a listener (EventTarget reads
// the signal's `constructor`, which the caller can have redefined), or null.
function listen(signal, onAbort) {
  try {
    addEventListener.call(signal, 'abort', onAbort, { once: true });
    return null;
  } catch (err) {
    return errors.unreadable('options.signal', err);
  }
}

// Runs when a wait settles, possibly inside close(): it must not throw.
function unlisten(signal, onAbort) {
  try {
    removeEventListener.call(signal, 'abort', onAbort);
  } catch {
    // listen() failed the same way, so there is no listener to remove.
  }
}

/**
 * @param {object} w
 * @param {import('events').EventEmitter & {name: string}} w.owner the stream waited on: its name
 *   goes into errors, and its 'close' rejects the wait
 * @param {(notify: () => void) => () => void} w.subscribe starts notifications; returns unsubscribe
 * @param {() => {done: boolean, value?: any}} w.test checked now and after every notification
 * @param {number|undefined} w.timeout
 * @param {AbortSignal|undefined} w.signal
 */
function waitUntil({ owner, subscribe, test, timeout, signal }) {
  if (isAborted(signal)) return Promise.reject(abortError(signal));
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
      owner.removeListener('close', onClose);
      if (signal) unlisten(signal, onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const onClose = () => finish(errors.closed(owner.name));
    const onAbort = () => finish(abortError(signal));
    owner.once('close', onClose);
    const refused = signal ? listen(signal, onAbort) : null;
    if (refused) {
      finish(refused);
      return;
    }
    if (timeout !== undefined) timer = setTimeout(() => finish(errors.timeout(owner.name, timeout)), timeout);
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

// Waiters that take turns, for a queue's enqueueWait and dequeueWait: each is served only after
// those that came before it on the same object, and one engine watcher serves them all.
class TurnQueue {
  #owner;
  #subscribe;
  #attempt;
  #waiters = [];
  #unsubscribe = null;
  #onClose = () => this.#rejectAll(errors.closed(this.#owner.name));

  /**
   * @param {object} q
   * @param {import('events').EventEmitter & {name: string}} q.owner the queue waited on: its name
   *   goes into errors, and its 'close' rejects every wait
   * @param {(notify: () => void) => () => void} q.subscribe starts notifications; returns unsubscribe
   * @param {(arg: any) => {done: boolean, value?: any}} q.attempt one try for the waiter at the head
   */
  constructor({ owner, subscribe, attempt }) {
    this.#owner = owner;
    this.#subscribe = subscribe;
    this.#attempt = attempt;
  }

  wait(arg, { timeout, signal }) {
    if (isAborted(signal)) return Promise.reject(abortError(signal));
    if (this.#waiters.length === 0) {
      try {
        const r = this.#attempt(arg);
        if (r.done) return Promise.resolve(r.value);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      const entry = { arg, resolve, reject, timer: undefined, signal, onAbort: null };
      if (signal) {
        entry.onAbort = () => this.#settle(entry, abortError(signal));
        const refused = listen(signal, entry.onAbort);
        if (refused) {
          reject(refused);
          return;
        }
      }
      if (timeout !== undefined) {
        entry.timer = setTimeout(() => this.#settle(entry, errors.timeout(this.#owner.name, timeout)), timeout);
      }
      this.#waiters.push(entry);
      if (this.#unsubscribe === null) {
        this.#owner.once('close', this.#onClose);
        try {
          this.#unsubscribe = this.#subscribe(() => this.#drain());
        } catch (err) {
          this.#rejectAll(err);
          return;
        }
        this.#drain(); // a change between the first try and the subscription
      }
    });
  }

  #drain() {
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0];
      let r;
      try {
        r = this.#attempt(head.arg);
      } catch (err) {
        this.#settle(head, err);
        continue;
      }
      if (!r.done) return;
      this.#settle(head, null, r.value);
    }
  }

  #settle(entry, err, value) {
    const i = this.#waiters.indexOf(entry);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    clearTimeout(entry.timer);
    if (entry.signal) unlisten(entry.signal, entry.onAbort);
    if (this.#waiters.length === 0 && this.#unsubscribe !== null) {
      const unsubscribe = this.#unsubscribe;
      this.#unsubscribe = null;
      this.#owner.removeListener('close', this.#onClose);
      unsubscribe();
    }
    if (err) entry.reject(err);
    else entry.resolve(value);
  }

  #rejectAll(err) {
    for (const entry of [...this.#waiters]) this.#settle(entry, err);
  }
}

// The async iterator of streams and queues: the values of successive waits, until the object closes.
async function* untilClosed(next) {
  for (;;) {
    try {
      yield await next();
    } catch (err) {
      if (err.code === 'ERR_SHM_CLOSED') return;
      throw err;
    }
  }
}

module.exports = { waitUntil, TurnQueue, untilClosed };
