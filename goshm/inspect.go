// Looking at a segment without touching it: what its bytes look like (detect.go), its header
// words, who owns it and whether anyone maps it, for inspect() and the lsm command. Nothing here
// writes to a segment, takes a lock, announces a presence or resets a header: a segment under a
// debugger must stay exactly as its programs left it.
package goshm

import (
	"errors"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Tri is a yes/no answer that may be unknown.
type Tri int8

const (
	TriUnknown Tri = -1
	TriNo      Tri = 0
	TriYes     Tri = 1
)

// Entry is what the OS tells of a segment without mapping it.
type Entry struct {
	Name string
	Size int64
	// Owner: the user id and, when it resolves, the user name (HasOwner false where the OS has no
	// owner to tell).
	HasOwner bool
	UID      uint32
	Owner    string
	Mode     uint32    // permission bits
	Mtime    time.Time // zero when unknown
	// Mapped: a process of this PID namespace maps the segment (TriYes), none does (TriNo: every
	// process could be asked), or it cannot be told. Processes of other PID namespaces that share
	// the segments (containers) are never seen.
	Mapped Tri
	// Announced: a writable stream or queue of this engine, in any PID namespace, is open on the
	// segment (its presence lock, lock.go), or none is, or it cannot be told.
	Announced Tri
}

// Inspection is everything Inspect found.
type Inspection struct {
	Entry
	Detected Detected // Detected.Size is the payload's, Entry.Size the segment's
	Flags    uint8    // a stream's flags byte
	// A v2 stream's header words; Lock is the write lock word (0 free, 1 a C++ holder, else a pid).
	Revision, Ack, Lock uint32
	LockAlive           Tri
	// A queue's indices, and a v2 queue's lock words.
	ReadIndex, WriteIndex        uint32
	ProducerLock, ConsumerLock   uint32
	ProducerAlive, ConsumerAlive Tri
	// InUse is TriYes when Mapped or Announced says so, TriNo when both say no.
	InUse Tri
	// Err is set by List for a segment it could not map: the error's code ("EACCES").
	Err string
}

// List inspects every segment this process can see, in no particular order; an OS where segments
// cannot be enumerated answers KindUnsupported. A segment that cannot be mapped (another user's,
// without read access for us) is listed with what the OS told of it and the error's code in Err.
func List() ([]Inspection, error) {
	entries, err := sys.list()
	if err != nil {
		return nil, err
	}
	out := make([]Inspection, 0, len(entries))
	for _, e := range entries {
		in, err := inspectEntry(e)
		if err != nil {
			if _, _, st := sys.identity(e.Name); st == identityGone {
				continue // removed since it was listed
			}
			in = Inspection{Entry: e, InUse: TriUnknown, Err: errorCode(err)}
		}
		out = append(out, in)
	}
	return out, nil
}

// Inspect maps the named segment read-only, only for the time of the call, and reports what it
// holds. A segment of 0 bytes is blank (shm_open made it, nobody sized it).
func Inspect(name string) (Inspection, error) {
	if err := ValidateName(name); err != nil {
		return Inspection{}, err
	}
	// Asked before mapping it, so that this call's own mapping does not count as a user.
	e, err := sys.stat(name)
	if err != nil {
		return Inspection{}, err
	}
	return inspectEntry(e)
}

func inspectEntry(e Entry) (Inspection, error) {
	in := Inspection{Entry: e, InUse: TriUnknown}
	switch {
	case e.Mapped == TriYes || e.Announced == TriYes:
		in.InUse = TriYes
	case e.Mapped == TriNo && e.Announced == TriNo:
		in.InUse = TriNo
	}
	if e.Size == 0 && e.HasOwner {
		in.Detected.Shape = ShapeBlank
		return in, nil
	}
	seg, err := Open(e.Name, OpenOptions{ReadOnly: true})
	if err != nil {
		return Inspection{}, err
	}
	defer seg.Close()
	in.Size = seg.wholeSize()
	err = in.read(seg)
	return in, err
}

func errorCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code()
	}
	return "ERR_SHM_INTERNAL"
}

// read fills in from the mapping; a segment truncated meanwhile is a KindFault error.
func (in *Inspection) read(seg *Segment) (err error) {
	defer recoverFault(seg.name, &err, debug.SetPanicOnFault(true))
	mem := seg.Bytes()
	in.Detected = Detect(mem, seg.wholeSize())
	word := func(off int) uint32 { return atomic.LoadUint32((*uint32)(unsafe.Pointer(&mem[off]))) }
	switch in.Detected.Shape {
	case ShapeStream:
		in.Flags = mem[0]
		if in.Detected.Layout == LayoutV2 {
			in.Revision, in.Ack, in.Lock = word(V2Revision), word(V2Ack), word(V2Lock)
			in.LockAlive = holderAlive(in.Lock)
		}
	case ShapeQueue:
		in.ReadIndex, in.WriteIndex = word(qReadIndex), word(qWriteIndex)
		if in.Detected.Layout == LayoutV2 {
			in.ProducerLock, in.ConsumerLock = word(qProducerLock), word(qConsumerLock)
			in.ProducerAlive, in.ConsumerAlive = holderAlive(in.ProducerLock), holderAlive(in.ConsumerLock)
		}
	}
	return nil
}

// holderAlive judges a lock word as far as can be done without a presence of our own (which
// inspecting must not make): a free lock is TriNo, the C++ library's 1 names nobody (TriUnknown),
// and a pid is alive when it is a live process in this PID namespace. A holder in another
// namespace therefore looks dead here; the engine's own takeover asks the presence locks too
// (lock.go) and is not misled.
func holderAlive(holder uint32) Tri {
	switch {
	case holder == 0:
		return TriNo
	case holder == anonymousHolder:
		return TriUnknown
	case holder == ownTag || sys.pidAlive(holder):
		return TriYes
	}
	return TriNo
}

// unwrapErrno is the errno inside an error of package os (a *PathError), or err itself.
func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
