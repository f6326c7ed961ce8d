// Wait and wake where the engine has no cross-process futex: waiters poll.

//go:build !linux && !darwin

package goshm

import "time"

// wait sleeps a short while, bounded by the caller's interval, and reports it as a wake so that
// watchers and lock waiters look at the word again.
func (osImpl) wait(addr *uint32, val uint32, timeout time.Duration) (woken bool) {
	if timeout > time.Millisecond {
		timeout = time.Millisecond
	}
	time.Sleep(timeout)
	return true
}

// wake has nobody to wake: every waiter polls.
func (osImpl) wake(addr *uint32) {}
