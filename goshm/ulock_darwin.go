// Cross-process wait and wake on macOS: the __ulock_wait and __ulock_wake system calls on a word
// of the shared mapping (XNU's sys_ulock.c), polling where they are missing. Not yet run on a Mac.

//go:build darwin

package goshm

import (
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The numbers of bsd/kern/syscalls.master and bsd/sys/ulock.h. UL_COMPARE_AND_WAIT_SHARED keys
// the wait by the memory object and offset, not by this process's address, so that a wake in any
// process that maps the segment reaches it (like a futex without FUTEX_PRIVATE_FLAG).
const (
	sysUlockWait           = 515
	sysUlockWake           = 516
	ulCompareAndWaitShared = 3
	ulfWakeAll             = 0x100
)

// ulockMissing is set once the kernel answers ENOSYS (before macOS 10.12): waiters poll from then on.
var ulockMissing atomic.Bool

// wait reports a wake (possibly spurious) or *addr no longer being val as woken; the timeout and
// a signal are not. The timeout is in microseconds, where 0 would mean forever, so it is at least 1.
func (osImpl) wait(addr *uint32, val uint32, timeout time.Duration) (woken bool) {
	if ulockMissing.Load() {
		return pollWait(timeout)
	}
	if timeout <= 0 {
		return atomic.LoadUint32(addr) != val
	}
	us := uint64(timeout / time.Microsecond)
	if us == 0 {
		us = 1
	} else if us > math.MaxUint32 {
		us = math.MaxUint32
	}
	_, _, errno := unix.Syscall6(sysUlockWait, ulCompareAndWaitShared, uintptr(unsafe.Pointer(addr)), uintptr(val), uintptr(us), 0, 0)
	switch errno {
	case 0:
		return true
	case unix.ETIMEDOUT, unix.EINTR:
		return false
	case unix.ENOSYS:
		ulockMissing.Store(true)
		return pollWait(timeout)
	default:
		// EFAULT and the like: the caller looks at the word and meets the fault itself.
		return true
	}
}

// wake wakes every waiter on addr; ENOENT (nobody waits) is the common answer and is ignored.
func (osImpl) wake(addr *uint32) {
	if !ulockMissing.Load() {
		unix.RawSyscall(sysUlockWake, ulCompareAndWaitShared|ulfWakeAll, uintptr(unsafe.Pointer(addr)), 0)
	}
}

// pollWait is the wait of a kernel without ulock: a short sleep reported as a wake, so that the
// caller looks at the word again (futex_other.go does the same on other systems).
func pollWait(timeout time.Duration) bool {
	if timeout > time.Millisecond {
		timeout = time.Millisecond
	}
	time.Sleep(timeout)
	return true
}
