// The engine's one error type, and the kinds the C ABI hands to JavaScript as error classes and
// codes.
package goshm

import (
	"errors"
	"fmt"
	"syscall"
)

// Kind classifies an Error. The C ABI passes it as an integer, and the addon maps it to the
// JavaScript error class (RangeError for KindArg and KindTooLarge, Error with .code otherwise),
// so the numbers are part of the ABI (goshm.h spells them too) and must not be reordered.
type Kind int

const (
	KindOK          Kind = 0
	KindOS          Kind = 1  // the OS refused; Errno says why
	KindArg         Kind = 2  // an argument the engine cannot accept (bad name, bad size)
	KindTooLarge    Kind = 3  // a payload larger than the segment can hold
	KindLayout      Kind = 4  // a header field that does not fit the segment
	KindSize        Kind = 5  // the segment is smaller than the caller asked for
	KindClosed      Kind = 6  // use after Close
	KindLockTimeout Kind = 7  // the lock stayed held past the deadline
	KindFault       Kind = 8  // the mapping faulted (segment truncated or removed under us)
	KindInternal    Kind = 9  // a recovered panic: a bug in the engine
	KindUnsupported Kind = 10 // the operation needs a layout (or platform) feature the segment lacks
	KindLockHeld    Kind = 11 // BreakLock refused: the holder is a process known to be alive
)

// Error is the only error type the engine returns.
type Error struct {
	Kind    Kind
	Segment string        // segment name, without the leading "/"
	Syscall string        // for KindOS: the failing call
	Errno   syscall.Errno // for KindOS
	Msg     string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap gives the errno of a KindOS error, so that errors.Is(err, syscall.ENOENT) and
// errors.Is(err, fs.ErrNotExist) see through the engine's error.
func (e *Error) Unwrap() error {
	if e.Kind == KindOS && e.Errno != 0 {
		return e.Errno
	}
	return nil
}

// Code is the string a JavaScript caller switches on: the errno name for OS errors
// ("ENOENT"), otherwise one of the project's ERR_SHM_* codes.
func (e *Error) Code() string {
	switch e.Kind {
	case KindOS:
		if n := sys.errnoName(e.Errno); n != "" {
			return n
		}
		return fmt.Sprintf("E%d", int(e.Errno))
	case KindArg:
		return "ERR_SHM_ARGUMENT"
	case KindTooLarge:
		return "ERR_SHM_TOO_LARGE"
	case KindLayout:
		return "ERR_SHM_LAYOUT"
	case KindSize:
		return "ERR_SHM_SIZE"
	case KindClosed:
		return "ERR_SHM_CLOSED"
	case KindLockTimeout:
		return "ERR_SHM_LOCK_TIMEOUT"
	case KindFault:
		return "ERR_SHM_FAULT"
	case KindUnsupported:
		return "ERR_SHM_UNSUPPORTED"
	case KindLockHeld:
		return "ERR_SHM_LOCK_HELD"
	default:
		return "ERR_SHM_INTERNAL"
	}
}

// osError wraps what a system call returned. The per-OS files call it, so that every OS error
// reads the same; an error that is not an errno is not the OS's word and counts as a bug.
func osError(name, call string, err error) *Error {
	errno, ok := err.(syscall.Errno)
	if !ok {
		return &Error{Kind: KindInternal, Segment: name, Msg: fmt.Sprintf("%s %q: %v", call, name, err)}
	}
	return &Error{
		Kind: KindOS, Segment: name, Syscall: call, Errno: errno,
		Msg: fmt.Sprintf("%s: %s of shared memory segment %q failed: %s", sys.errnoName(errno), call, name, errno.Error()),
	}
}

func newError(kind Kind, name, format string, args ...any) *Error {
	return &Error{Kind: kind, Segment: name, Msg: fmt.Sprintf(format, args...)}
}

// AsError finds the engine Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsKind reports whether err is an engine Error of the given kind.
func IsKind(err error, k Kind) bool {
	e, ok := AsError(err)
	return ok && e.Kind == k
}
