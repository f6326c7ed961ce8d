// Warns when the application takes SIGBUS from under this module. A fault from a segment another
// process truncated is caught by the fast path's guard and the Go runtime's handler, which turn it
// into ERR_SHM_FAULT. process.on('SIGBUS') makes libuv install its own handler over both (when it is
// added after this module loaded): that handler only notes the signal and returns, so the faulting
// instruction runs again, forever, at 100 % CPU on the calling thread, and the listener never runs.
// Removing the last listener sets SIGBUS back to its default action, which kills the process. Only
// the addon could put its handlers back on top; until then, a warning says what happened.
'use strict';
const { isMainThread } = require('worker_threads');

const WARNING = { type: 'NodeSharedMemoryWarning', code: 'SHM_SIGBUS_LISTENER' };

function watchSignalListeners() {
  // Signal listeners of worker threads install nothing.
  if (!isMainThread) return;
  // 'newListener' comes before the listener is added (0: libuv is installing its handler now, Node's
  // own 'newListener' listener ran first); 'removeListener' after it is removed (0: SIG_DFL now).
  process.on('newListener', (event) => {
    if (event === 'SIGBUS' && process.listenerCount('SIGBUS') === 0) {
      process.emitWarning("process.on('SIGBUS') replaced the fault handlers of node-libsharedmemory: a segment " +
        'truncated by another process now makes the next access to it spin at 100 % CPU (the listener never ' +
        'runs) instead of throwing ERR_SHM_FAULT. Add SIGBUS listeners before loading the module, and keep one.', WARNING);
    }
  });
  process.on('removeListener', (event) => {
    if (event === 'SIGBUS' && process.listenerCount('SIGBUS') === 0) {
      process.emitWarning("the last process.on('SIGBUS') listener was removed, which resets SIGBUS to its default " +
        'action: a segment truncated by another process now kills this process instead of throwing ERR_SHM_FAULT.', WARNING);
    }
  });
}

module.exports = { watchSignalListeners };
