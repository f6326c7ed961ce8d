// Cross-process wait and wake on Linux: futexes on a word of the shared mapping.

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

// wait reports a wake (possibly spurious) or *addr no longer being val as woken; only the
// timeout and a signal are not. A mapping that faults (EFAULT) counts as woken, so the caller
// looks at the word and meets the fault itself.
func (osImpl) wait(addr *uint32, val uint32, timeout time.Duration) (woken bool) {
	ts := unix.NsecToTimespec(int64(timeout))
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno != unix.ETIMEDOUT && errno != unix.EINTR
}

func (osImpl) wake(addr *uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, math.MaxInt32, 0, 0, 0)
}
