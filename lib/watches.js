// The engine watchers one stream or queue has running: started through the addon, kept alive or
// not as a whole (ref/unref), and all stopped when the object closes.
'use strict';
const native = require('./native');

class Watches {
  #tokens = new Set();
  #keepAlive = true;

  /**
   * Registers a watch the addon has just started (token from watchStart/queueWatchStart) and
   * returns the function that stops it.
   */
  add(token) {
    this.#tokens.add(token);
    if (!this.#keepAlive) native.watchRef(token, false);
    return () => {
      if (this.#tokens.delete(token)) native.watchStop(token);
    };
  }

  /** Whether the running watches keep the event loop alive. */
  setKeepAlive(keepAlive) {
    this.#keepAlive = keepAlive;
    for (const token of this.#tokens) native.watchRef(token, keepAlive);
  }

  stopAll() {
    for (const token of this.#tokens) native.watchStop(token);
    this.#tokens.clear();
  }
}

module.exports = { Watches };
