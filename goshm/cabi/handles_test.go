package main

// Tests of the handle table: a closed handle never resolves again, to anything, and no handle is
// ever handed out twice, even when one index is reused far more often than its generation bits
// used to allow (11 bits: 2048 reuses).

import "testing"

func TestHandleNeverReused(t *testing.T) {
	var tab handleTable[int]
	seen := map[uint64]bool{}
	v := 1
	first := tab.add(&v)
	tab.remove(first)
	seen[first] = true
	for i := 0; i < 5000; i++ {
		h := tab.add(&v)
		if h == 0 || seen[h] {
			t.Fatalf("cycle %d: handle %#x handed out twice (or 0)", i, h)
		}
		if h>>(indexBits+genBits) != 0 {
			t.Fatalf("handle %#x is wider than %d bits", h, indexBits+genBits)
		}
		seen[h] = true
		if tab.get(first) != nil || tab.remove(first) != nil {
			t.Fatalf("cycle %d: the first, closed handle %#x resolves again", i, first)
		}
		if tab.remove(h) != &v {
			t.Fatalf("cycle %d: live handle %#x did not remove", i, h)
		}
	}
}

func TestHandleRetiredAtLastGeneration(t *testing.T) {
	var tab handleTable[int]
	v := 1
	h := tab.add(&v)
	tab.remove(h)
	index, _, _ := split(h)
	tab.slotOf(index).gen.Store(lastGen) // as after 2^32-1 reuses of the index
	last := uint64(lastGen)<<indexBits | uint64(index)
	if h = tab.add(&v); h != last {
		t.Fatalf("got %#x, want %#x", h, last)
	}
	if tab.remove(h) != &v {
		t.Fatal("the last generation's handle did not remove")
	}
	if len(tab.free) != 0 {
		t.Fatalf("a slot at its last generation went back to the free list: %v", tab.free)
	}
	if tab.get(h) != nil || tab.remove(h) != nil {
		t.Fatal("a retired handle resolves")
	}
	if h2 := tab.add(&v); h2 == h || h2&indexMask == uint64(index) {
		t.Fatalf("the retired index was reused: %#x", h2)
	}
}

func TestHandleRejectsWideValues(t *testing.T) {
	var tab handleTable[int]
	v := 1
	h := tab.add(&v)
	for _, bad := range []uint64{h | 1<<(indexBits+genBits), h | 1<<63, 0} {
		if tab.get(bad) != nil || tab.remove(bad) != nil {
			t.Fatalf("%#x resolves", bad)
		}
	}
	if tab.get(h) != &v {
		t.Fatal("the live handle stopped resolving")
	}
}
