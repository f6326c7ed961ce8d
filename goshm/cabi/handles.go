package main

// The handle tables: the integers C holds (goshm.h lsm_handle), mapped to Go objects, so no Go
// pointer ever leaves Go.

import (
	"sync"
	"sync/atomic"
)

// handleTable maps handles to objects of one kind. A handle is (generation << indexBits) | index
// with index >= 1, so 0 is never valid; the generation changes every time an index is reused, and
// an index whose generation is used up is retired rather than wrapped, so a handle that was closed
// never resolves again, to anything: a late stop or close with it (a finalizer, a stale id kept by
// JavaScript) cannot reach a newer object. Lookups are two atomic loads and take no lock; adding
// and removing take the mutex.
type handleTable[T any] struct {
	mu     sync.Mutex
	chunks [maxChunks]atomic.Pointer[[chunkSize]slot[T]]
	free   []uint32
	next   uint32
}

type slot[T any] struct {
	gen atomic.Uint32
	ptr atomic.Pointer[T]
}

const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	indexBits = 20 // up to 1M live handles of a kind
	indexMask = 1<<indexBits - 1
	maxChunks = (1 << indexBits) / chunkSize
	// genBits of generation above the index: handles stay below 2^52, exact as a JavaScript
	// number. A slot is retired after its last generation, so no handle is ever reused; at one
	// close a microsecond on one index, that takes over an hour, and the table loses one of its
	// million slots.
	genBits = 32
	lastGen = 1<<genBits - 1
)

func (t *handleTable[T]) slotOf(index uint32) *slot[T] {
	c := t.chunks[index>>chunkBits].Load()
	if c == nil {
		return nil
	}
	return &c[index&(chunkSize-1)]
}

// split is the index and generation of a handle; ok is false for a value no handle can have.
func split(h uint64) (index uint32, gen uint32, ok bool) {
	if h>>(indexBits+genBits) != 0 {
		return 0, 0, false
	}
	return uint32(h & indexMask), uint32(h >> indexBits), true
}

// add stores v and returns its handle, or 0 when the table is full.
func (t *handleTable[T]) add(v *T) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var index uint32
	if n := len(t.free); n > 0 {
		index, t.free = t.free[n-1], t.free[:n-1]
	} else {
		if t.next == 0 {
			t.next = 1
		}
		if t.next >= 1<<indexBits {
			return 0
		}
		index = t.next
		t.next++
		if t.chunks[index>>chunkBits].Load() == nil {
			t.chunks[index>>chunkBits].Store(new([chunkSize]slot[T]))
		}
	}
	s := t.slotOf(index)
	s.ptr.Store(v)
	return uint64(s.gen.Load())<<indexBits | uint64(index)
}

// get returns the object of a live handle, or nil.
func (t *handleTable[T]) get(h uint64) *T {
	index, gen, ok := split(h)
	if !ok {
		return nil
	}
	s := t.slotOf(index)
	if s == nil || s.gen.Load() != gen {
		return nil
	}
	v := s.ptr.Load()
	if s.gen.Load() != gen { // removed (and perhaps reused) while we looked
		return nil
	}
	return v
}

// remove forgets a handle and returns its object, or nil if it was not live.
func (t *handleTable[T]) remove(h uint64) *T {
	t.mu.Lock()
	defer t.mu.Unlock()
	index, gen, ok := split(h)
	if !ok || index == 0 {
		return nil
	}
	s := t.slotOf(index)
	if s == nil || s.gen.Load() != gen {
		return nil
	}
	v := s.ptr.Swap(nil)
	if v == nil {
		return nil
	}
	if gen == lastGen {
		return v // retired: its ptr stays nil, so its last handle resolves to nothing, and it is not freed
	}
	s.gen.Store(gen + 1)
	t.free = append(t.free, index)
	return v
}
