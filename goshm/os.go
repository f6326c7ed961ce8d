// The boundary between the portable engine and the operating system: the one interface every OS
// implements, in the files named after it (segment_linux.go, futex_linux.go, ...).
package goshm

import (
	"syscall"
	"time"
)

// osLayer is everything the engine asks of the OS. The portable files (layouts, streams, locks,
// queues, watchers) call nothing else, so porting the engine is implementing these methods on
// osImpl for one more GOOS.
type osLayer interface {
	// open opens the named segment (creating it and growing it to o.Size with o.Create) and maps
	// it. Names arrive validated, o.Mode set and o.Size checked against o.Create.
	open(name string, o OpenOptions) (*Segment, error)
	// unmap releases a mapping made by open (nil does nothing).
	unmap(mem []byte) error
	// unlink removes a segment's name; processes that have it mapped keep their mapping.
	unlink(name string) error
	// wait sleeps while *addr == val, at most timeout, and reports whether it ended for a reason
	// other than the timeout. A wake from any process that maps the same word must end it; an
	// OS without such a primitive may poll and report every return as a wake.
	wait(addr *uint32, val uint32, timeout time.Duration) (woken bool)
	// wake ends the waits on addr, in every process. It never blocks.
	wake(addr *uint32)
	// pidAlive reports whether the process that stored pid in a lock can still release it, as
	// far as this process's PID namespace can tell (a holder elsewhere may look dead).
	pidAlive(pid uint32) bool
	// announce makes this process's presence on the segment (mem, mapped from name) visible to
	// every process that maps it, in any PID namespace, for as long as the returned descriptor is
	// open and the process lives; tag is what it stores in the lock words it holds. unsupported
	// means the OS cannot (then nobody can, and no holder is ever judged dead).
	announce(name string, mem []byte, tag uint32) (fd int, unsupported bool, err error)
	// announced reports whether some descriptor other than fd announced tag on fd's segment;
	// known is false when the OS could not answer.
	announced(fd int, tag uint32) (held, known bool)
	// withdraw ends a presence made by announce.
	withdraw(fd int)
	// errnoName is the symbolic name of errno ("ENOENT"), or "" when the OS has none.
	errnoName(errno syscall.Errno) string
	// identity tells which object the name refers to now, and its size, without opening it, so
	// that a reader can notice cheaply that its segment was replaced (reattach.go). An OS that
	// cannot tell answers identityUnknown, and its readers never follow a new segment.
	identity(name string) (id fileID, size int64, st identityState)
	// list enumerates the segments this process can see (regular files only), with what stat
	// tells of each; an OS that cannot enumerate them answers KindUnsupported.
	list() ([]Entry, error)
	// stat is list's Entry for one name, or the error of a name that holds no segment (ENOENT).
	// An OS that cannot tell without opening answers an Entry with only Name (HasOwner false).
	stat(name string) (Entry, error)
}

// fileID names one object of the OS (on Linux the device and inode of the file under /dev/shm):
// two segments with the same name but different IDs are different objects.
type fileID struct{ dev, ino uint64 }

// identityState is what identity found under a name.
type identityState int

const (
	identityKnown   identityState = iota // id and size are the object's
	identityGone                         // nothing is under the name (a peer unlinked it)
	identityUnknown                      // the OS cannot tell, or the object is not a segment
)

// osImpl implements osLayer; each method lives in the file of its OS.
type osImpl struct{}

var _ osLayer = osImpl{}

// sys is the OS. Its static type is the concrete osImpl, so a call like sys.wake is a direct
// (inlinable) call: the interface above only states the contract.
var sys osImpl
