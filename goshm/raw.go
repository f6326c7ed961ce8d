// Raw access to a segment (libsharedmemory's Memory, Python's SharedMemory): the caller owns the
// bytes' meaning.
package goshm

import (
	"runtime/debug"
	"unsafe"
)

// A raw Segment can be shared by several owners (the JavaScript object and the ArrayBuffer over
// the mapping), so it counts references and unmaps when the last one goes.

// Retain adds a reference to a Segment opened by Open (which starts with one).
func (s *Segment) Retain() { s.refs.Add(1) }

// Release drops a reference and closes the Segment when it was the last, which it reports.
func (s *Segment) Release() (closed bool, err error) {
	if s.refs.Add(-1) == 0 {
		return true, s.Close()
	}
	return false, nil
}

// Base is the address of the mapping, for callers that hand it out as external memory.
func (s *Segment) Base() unsafe.Pointer {
	if len(s.mem) == 0 {
		return nil
	}
	return unsafe.Pointer(&s.mem[0])
}

// ReadAt copies len(dst) bytes at off into dst. A range outside the segment is a KindArg error,
// a segment truncated by another process a KindFault error.
func (s *Segment) ReadAt(dst []byte, off int64) (err error) {
	defer recoverFault(s.name, &err, debug.SetPanicOnFault(true))
	if err := s.checkRange(off, len(dst)); err != nil {
		return err
	}
	copyCached(dst, s.mem[off:])
	return nil
}

// WriteAt copies src into the segment at off.
func (s *Segment) WriteAt(src []byte, off int64) (err error) {
	defer recoverFault(s.name, &err, debug.SetPanicOnFault(true))
	if err := s.checkRange(off, len(src)); err != nil {
		return err
	}
	if s.readOnly {
		return newError(KindUnsupported, s.name, "shared memory segment %q is mapped read-only", s.name)
	}
	copyCached(s.mem[off:], src)
	return nil
}

func (s *Segment) checkRange(off int64, n int) error {
	if s.closed.Load() {
		return newError(KindClosed, s.name, "shared memory segment %q is closed", s.name)
	}
	if off < 0 || off > int64(len(s.mem)) || int64(n) > int64(len(s.mem))-off {
		return newError(KindArg, s.name,
			"range [%d, %d) is outside shared memory segment %q of %d bytes", off, off+int64(n), s.name, len(s.mem))
	}
	return nil
}
