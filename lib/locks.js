// Breaking v2 locks whose holder cannot be judged (the C++ library stores 1 in every lock it holds,
// so its death is invisible): the report of what the opt-in stale-lock rule took over, which never
// happens silently. Its options are checked in validate.js with the others.
'use strict';

/**
 * Reports that the stale-lock rule took `lock` ('write', 'producer' or 'consumer') over from
 * `holder`: a 'lockBroken' event on the owner, or a process warning when nobody listens. On the
 * next tick, so that a listener that throws does not turn the operation that succeeded into an error.
 */
function reportLockBroken(owner, lock, holder, staleLockTimeout) {
  const info = { lock, holder, staleLockTimeout };
  process.nextTick(() => {
    if (owner.listenerCount('lockBroken') > 0) {
      owner.emit('lockBroken', info);
      return;
    }
    process.emitWarning(
      `the ${lock} lock of shared memory segment ${JSON.stringify(owner.name)} was held (lock word ${holder}: 1 is a libsharedmemory peer, otherwise a process id) ` +
      `with no progress for ${staleLockTimeout} ms and was taken over (options.staleLockTimeout); ` +
      'what the holder was writing was discarded',
      { type: 'LockBrokenWarning', code: 'ERR_SHM_LOCK_BROKEN' });
  });
}

module.exports = { reportLockBroken };
