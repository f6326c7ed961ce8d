package main

import (
	"sync"
	"sync/atomic"
)

// handleTable maps the integers C holds to Go objects, so no Go pointer ever leaves Go. A handle
// is (generation << indexBits) | index with index >= 1, so 0 is never valid and a handle that was
// closed stops resolving even after its index is reused. Lookups are two atomic loads and take no
// lock; adding and removing take the mutex.
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
	maxChunks = (1 << indexBits) / chunkSize
	genMask   = 1<<(31-indexBits) - 1 // handles stay below 2^31: a JS small integer
)

func (t *handleTable[T]) slotOf(index uint32) *slot[T] {
	c := t.chunks[index>>chunkBits].Load()
	if c == nil {
		return nil
	}
	return &c[index&(chunkSize-1)]
}

// add stores v and returns its handle, or 0 when the table is full.
func (t *handleTable[T]) add(v *T) uint32 {
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
	return s.gen.Load()<<indexBits | index
}

// get returns the object of a live handle, or nil.
func (t *handleTable[T]) get(h uint32) *T {
	s := t.slotOf(h & (1<<indexBits - 1))
	if s == nil || s.gen.Load() != h>>indexBits {
		return nil
	}
	v := s.ptr.Load()
	if s.gen.Load() != h>>indexBits { // removed (and perhaps reused) while we looked
		return nil
	}
	return v
}

// remove forgets a handle and returns its object, or nil if it was not live.
func (t *handleTable[T]) remove(h uint32) *T {
	t.mu.Lock()
	defer t.mu.Unlock()
	index := h & (1<<indexBits - 1)
	s := t.slotOf(index)
	if s == nil || index == 0 || s.gen.Load() != h>>indexBits {
		return nil
	}
	v := s.ptr.Swap(nil)
	if v == nil {
		return nil
	}
	s.gen.Store((s.gen.Load() + 1) & genMask)
	t.free = append(t.free, index)
	return v
}
