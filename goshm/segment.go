// Named shared memory segments: the portable part of opening, closing and removing one. The OS
// does the work through sys (os.go).
package goshm

import (
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"syscall"
)

// DefaultMode is the permission of a segment this module creates: owner read/write only.
// libsharedmemory uses 0777, which lets every local user write into the segment.
const DefaultMode = 0o600

// OpenOptions says how to reach a segment.
type OpenOptions struct {
	// Size is the number of bytes to map. When creating, the segment is grown to at least Size
	// (an existing larger segment is not shrunk). When only opening, 0 means the segment's real
	// size, and a Size larger than the segment is a KindSize error.
	Size int64
	// Create makes the segment if it does not exist, and attaches to it if it does.
	Create bool
	// Mode is the permission of a created segment (DefaultMode when 0). It is applied exactly,
	// without the process umask.
	Mode uint32
	// ReadOnly maps the segment without write access.
	ReadOnly bool
	// Unlink removes the name on Close (libsharedmemory's persistent == false).
	Unlink bool
	// AllowForeignOwner lets a writer (Create) or a queue attach to an existing segment owned by
	// another user. Without it such a segment is refused with EPERM: its owner can read what a
	// writer stores and store values and queue messages of its own (a squatter that made the name
	// first, mode 0666). Readers are never refused: reading a peer's segment is the normal
	// cross-user case. A segment of our own user is accepted whatever its mode (the C++ library
	// makes them 0777).
	AllowForeignOwner bool

	// ownerOnly is set by Open for the opens that must refuse a foreign owner: Create, and every
	// open of a queue (OpenQueue), whose both ends store messages others consume.
	ownerOnly bool
}

// Segment is one mapping of a named shared memory segment. The descriptor it was mapped from is
// closed as soon as the mapping exists (a writable v2 stream or queue keeps a separate read-only
// one for its presence lock, see lock.go).
type Segment struct {
	name     string
	mem      []byte
	fileSize int64 // the segment's whole size when mapped, which a mapping of part of it does not show
	created  bool
	unlink   bool
	readOnly bool
	closed   atomic.Bool
	refs     atomic.Int32 // owners; Open makes the first, Retain adds, Release drops
	id       fileID       // the object mapped, from the descriptor it was mapped from
	hasID    bool         // id is known (the OS can tell, see osLayer.identity)
	// sizeInPages: fileSize is the OS's size in whole pages, not the one its creator gave (an
	// existing Windows named mapping), so a header's geometry may fall short of it by under a page.
	sizeInPages bool
}

// Open maps the named segment as o says.
func Open(name string, o OpenOptions) (*Segment, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if o.Create && o.Size <= 0 {
		return nil, newError(KindArg, name, "size of new segment %q must be at least 1 byte", name)
	}
	if o.Size < 0 {
		return nil, newError(KindArg, name, "size must not be negative")
	}
	if o.Mode == 0 {
		o.Mode = DefaultMode
	}
	o.ownerOnly = (o.Create || o.ownerOnly) && !o.AllowForeignOwner
	if err := takeMapping(name); err != nil {
		return nil, err
	}
	s, err := sys.open(name, o)
	if err != nil {
		mappings.Add(-1)
		return nil, err
	}
	s.refs.Store(1)
	return s, nil
}

// mappings counts the segments this process has mapped through Open and not yet closed. Every
// mapping is one entry of the kernel's per-process map table (vm.max_map_count, 65530 by
// default), which the whole process shares: when it is full, the next mmap of anyone fails, and
// V8 or the Go runtime abort on their own failed mmap. So Open refuses a mapping beyond
// MappingBudget with ENOMEM, and the rest of the process keeps the other half of the table.
var mappings atomic.Int64

// MappingBudget is the number of segments a process may hold mapped at once: half of the map
// table's size, read once at startup (32765 with the default vm.max_map_count of 65530).
var MappingBudget = sys.mappingBudget()

// MappedSegments is the number of segments this process holds mapped now (see MappingBudget).
func MappedSegments() int64 { return mappings.Load() }

// takeMapping counts one more mapping, or refuses it (changing nothing) when the budget is spent.
func takeMapping(name string) error {
	if n := mappings.Add(1); n > MappingBudget {
		mappings.Add(-1)
		return &Error{
			Kind: KindOS, Segment: name, Syscall: "mmap", Errno: syscall.ENOMEM,
			Msg: fmt.Sprintf("ENOMEM: mmap of shared memory segment %q refused: this process already maps %d segments, "+
				"the limit of this module (half of vm.max_map_count, so that the rest of the process can still map memory); "+
				"close some streams, queues or segments", name, MappingBudget),
		}
	}
	return nil
}

// readerSize is the number of bytes an open that does not create maps of an existing segment of
// `have` bytes when `asked` were asked for (0: all of them). An empty segment, or one smaller than
// asked, is a KindSize error: a reader never maps past a segment's end.
func readerSize(name string, have, asked int64) (int64, error) {
	switch {
	case have == 0:
		return 0, newError(KindSize, name, "shared memory segment %q is empty (0 bytes)", name)
	case asked == 0:
		return have, nil
	case asked > have:
		return 0, newError(KindSize, name,
			"shared memory segment %q is %d bytes, smaller than the %d bytes asked for", name, have, asked)
	}
	return asked, nil
}

// Name is the segment's name as given to Open.
func (s *Segment) Name() string { return s.name }

// Bytes is the mapping. It must not be used after Close.
func (s *Segment) Bytes() []byte { return s.mem }

// Size is the number of bytes mapped.
func (s *Segment) Size() int { return len(s.mem) }

// Created reports whether Open made the segment rather than attaching to an existing one.
func (s *Segment) Created() bool { return s.created }

// abandon closes a segment for a constructor that failed after opening it. The name goes only if
// this open created it (and was told Unlink): an existing segment, which other processes may use
// and which the caller may have meant to keep, is never removed by a call that failed.
func (s *Segment) abandon() error {
	if !s.created {
		s.unlink = false
	}
	return s.Close()
}

// Close unmaps the segment and, when it was opened with Unlink, removes its name. Closing twice
// is not an error.
func (s *Segment) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := sys.unmap(s.mem)
	if s.mem != nil {
		mappings.Add(-1)
	}
	s.mem = nil
	if s.unlink {
		// Someone else may have removed the name already; that is what we wanted anyway.
		if uerr := Unlink(s.name); uerr != nil && !isNotExist(uerr) && err == nil {
			err = uerr
		}
	}
	return err
}

// Unlink removes a segment's name; processes that have it mapped keep their mapping.
func Unlink(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	return sys.unlink(name)
}

// isNotExist reports a segment that is not there, in the words of whatever OS said so.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
