//go:build !linux

package goshm

import "time"

// Without futexes, waiters poll: a short sleep bounded by the caller's interval, reported as a
// wake so that watchers re-check.
func futexWait(addr *uint32, val uint32, timeout time.Duration) (woken bool) {
	if timeout > time.Millisecond {
		timeout = time.Millisecond
	}
	time.Sleep(timeout)
	return true
}

func futexWake(addr *uint32) {}
