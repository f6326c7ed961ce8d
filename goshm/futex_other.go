//go:build !linux

package goshm

import "time"

// Without futexes, waiters poll: a short sleep bounded by the caller's interval.
func futexWait(addr *uint32, val uint32, timeout time.Duration) {
	if timeout > time.Millisecond {
		timeout = time.Millisecond
	}
	time.Sleep(timeout)
}

func futexWake(addr *uint32) {}
