// Keeps the fault handlers of this module on top when the application adds or removes a SIGBUS or
// SIGSEGV listener. A fault from a segment another process truncated is caught by the fast path's
// guard and the Go runtime's handler, which turn it into ERR_SHM_FAULT. process.on('SIGBUS') makes
// libuv install its own handler over both (when it is added after this module loaded): that handler
// only notes the signal and returns, so the faulting instruction would run again, forever, at 100 %
// CPU; removing the last listener sets the default action, which kills the process. So each time,
// the addon puts its handlers back on top (native.reinstallFaultGuard): faults raised by the kernel
// still go to the Go runtime's handler, signals sent with kill() to libuv's, and so to the
// listeners. Where that cannot be done (the fast path turned off with LSM_NO_FAST_PATH), a warning
// says what happened instead.
'use strict';
const { isMainThread } = require('worker_threads');
const native = require('./native');

const WARNING = { type: 'NodeSharedMemoryWarning', code: 'SHM_SIGBUS_LISTENER' };
const FAULTS = new Set(['SIGBUS', 'SIGSEGV']);

// One pair of listeners per process, however often the module is loaded again (test runners clear
// the require cache): the guard they put back is the library's, shared by every load.
const WATCHING = Symbol.for('node-libsharedmemory.signalListeners');

function watchSignalListeners() {
  // Signal listeners of worker threads install nothing.
  if (!isMainThread || Object.hasOwn(process, WATCHING)) return;
  Object.defineProperty(process, WATCHING, { value: true });
  // 'newListener' comes before the listener is added (0: libuv is installing its handler now, Node's
  // own 'newListener' listener ran first); 'removeListener' after it is removed (0: SIG_DFL now).
  process.on('newListener', (event) => {
    if (FAULTS.has(event) && process.listenerCount(event) === 0 && !native.reinstallFaultGuard() && event === 'SIGBUS') {
      process.emitWarning("process.on('SIGBUS') replaced the fault handlers of node-libsharedmemory: a segment " +
        'truncated by another process now makes the next access to it spin at 100 % CPU (the listener never ' +
        'runs) instead of throwing ERR_SHM_FAULT. Add SIGBUS listeners before loading the module, and keep one.', WARNING);
    }
  });
  process.on('removeListener', (event) => {
    if (FAULTS.has(event) && process.listenerCount(event) === 0 && !native.reinstallFaultGuard() && event === 'SIGBUS') {
      process.emitWarning("the last process.on('SIGBUS') listener was removed, which resets SIGBUS to its default " +
        'action: a segment truncated by another process now kills this process instead of throwing ERR_SHM_FAULT.', WARNING);
    }
  });
}

module.exports = { watchSignalListeners };
