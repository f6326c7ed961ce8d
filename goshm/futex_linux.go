//go:build linux

package goshm

import (
	"math"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futexes on a word of a MAP_SHARED mapping are keyed by the file and offset, so a wake from one
// process reaches waiters in every process that maps the segment. FUTEX_PRIVATE_FLAG must not
// be used here.
const (
	futexWaitOp = 0 // FUTEX_WAIT
	futexWakeOp = 1 // FUTEX_WAKE
)

// futexWait sleeps while *addr == val, at most timeout. It reports whether it ended for a reason
// other than the timeout: a wake (possibly spurious), or *addr no longer being val.
func futexWait(addr *uint32, val uint32, timeout time.Duration) (woken bool) {
	ts := unix.NsecToTimespec(int64(timeout))
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno != unix.ETIMEDOUT && errno != unix.EINTR
}

// futexWake wakes every waiter on addr, in any process. It never blocks.
func futexWake(addr *uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, math.MaxInt32, 0, 0, 0)
}
