// Tests breaking a v2 lock whose holder cannot be judged (the C++ library stores 1): BreakLock on
// streams and queues, and the opt-in stale rule (issue 11 item 3).

//go:build linux

package goshm_test

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// pokeWord stores v into the mapping at off, as another process would.
func pokeWord(s *goshm.Segment, off int, v uint32) {
	atomic.StoreUint32((*uint32)(unsafe.Add(s.Base(), off)), v)
}

func TestStreamBreakLock(t *testing.T) {
	name := segName(t, "")
	w := openV2(t, name, goshm.OpenOptions{Size: 256, Create: true}, 50*time.Millisecond)
	mustWrite(t, w, goshm.TypeString, []byte("half"))

	if h, err := w.BreakLock(false); err != nil || h != 0 {
		t.Fatalf("BreakLock on a free lock = %d, %v; want 0, nil", h, err)
	}
	if rev := u32at(fileBytes(t, name), offRevision); rev != 1 {
		t.Fatalf("a BreakLock of a free lock changed the revision to %d", rev)
	}

	pokeWord(w.Segment(), offLock, 1)
	wantKind(t, w.Write(goshm.TypeString, []byte("x")), goshm.KindLockTimeout)
	h, err := w.BreakLock(false)
	if err != nil || h != 1 {
		t.Fatalf("BreakLock = %d, %v; want 1, nil", h, err)
	}
	img := fileBytes(t, name)
	if l, size, rev := u32at(img, offLock), u32at(img, offSize), u32at(img, offRevision); l != 0 || size != 0 || rev != 2 {
		t.Fatalf("after BreakLock lock %d, size %d, revision %d; want 0, 0 (repaired), 2", l, size, rev)
	}
	mustWrite(t, w, goshm.TypeString, []byte("after"))

	// This process is alive: refused unless forced, and nothing changes.
	pokeWord(w.Segment(), offLock, uint32(os.Getpid()))
	before := fileBytes(t, name)
	_, err = w.BreakLock(false)
	if e := wantKind(t, err, goshm.KindLockHeld); e.Code() != "ERR_SHM_LOCK_HELD" {
		t.Fatalf("code %s", e.Code())
	}
	if after := fileBytes(t, name); string(after) != string(before) {
		t.Fatal("a refused BreakLock changed the segment")
	}
	if h, err := w.BreakLock(true); err != nil || h != uint32(os.Getpid()) {
		t.Fatalf("forced BreakLock = %d, %v", h, err)
	}
}

func TestStaleLockRule(t *testing.T) {
	t.Run("off: word 1 only times out", func(t *testing.T) {
		w := openV2(t, segName(t, ""), goshm.OpenOptions{Size: 256, Create: true}, 80*time.Millisecond)
		pokeWord(w.Segment(), offLock, 1)
		wantKind(t, w.Write(goshm.TypeString, []byte("x")), goshm.KindLockTimeout)
		if h := w.StaleLockBroken(); h != 0 {
			t.Fatalf("StaleLockBroken = %d with the rule off", h)
		}
	})

	t.Run("on: word 1 unchanged is taken over after the stale time", func(t *testing.T) {
		w := openV2(t, segName(t, ""), goshm.OpenOptions{Size: 256, Create: true}, time.Second)
		w.SetStaleLockTimeout(40 * time.Millisecond)
		pokeWord(w.Segment(), offLock, 1)
		t0 := time.Now()
		mustWrite(t, w, goshm.TypeString, []byte("x"))
		if took := time.Since(t0); took < 40*time.Millisecond || took > 800*time.Millisecond {
			t.Errorf("the write took %v", took)
		}
		if h := w.StaleLockBroken(); h != 1 {
			t.Fatalf("StaleLockBroken = %d, want 1", h)
		}
		if h := w.StaleLockBroken(); h != 0 {
			t.Fatalf("StaleLockBroken = %d after it was asked, want 0", h)
		}
	})

	// A holder that keeps publishing (the revision moves) is making progress: never stale.
	t.Run("on: progress restarts the clock", func(t *testing.T) {
		w := openV2(t, segName(t, ""), goshm.OpenOptions{Size: 256, Create: true}, 300*time.Millisecond)
		w.SetStaleLockTimeout(60 * time.Millisecond)
		pokeWord(w.Segment(), offLock, 1)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			rev := (*uint32)(unsafe.Add(w.Segment().Base(), offRevision))
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
					atomic.AddUint32(rev, 1)
				}
			}
		}()
		err := w.Write(goshm.TypeString, []byte("x"))
		close(stop)
		<-done
		wantKind(t, err, goshm.KindLockTimeout)
		if l := binary.LittleEndian.Uint32(fileBytes(t, segNameOf(w))[offLock:]); l != 1 {
			t.Fatalf("lock word %d; the holder making progress was taken over", l)
		}
	})

	t.Run("on: a holder known alive is never taken over", func(t *testing.T) {
		w := openV2(t, segName(t, ""), goshm.OpenOptions{Size: 256, Create: true}, 200*time.Millisecond)
		w.SetStaleLockTimeout(20 * time.Millisecond)
		pokeWord(w.Segment(), offLock, uint32(os.Getpid()))
		wantKind(t, w.Write(goshm.TypeString, []byte("x")), goshm.KindLockTimeout)
	})
}

func segNameOf(s *goshm.Stream) string { return s.Segment().Name() }

func TestQueueBreakLock(t *testing.T) {
	name := segName(t, "")
	q, err := goshm.OpenQueue(name, goshm.OpenOptions{Create: true},
		goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 4, MaxMessageSize: 8, LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	const producerLock, consumerLock = goshm.QueueHeaderV2 - 8, goshm.QueueHeaderV2 - 4
	pokeWord(q.Segment(), producerLock, 1)
	pokeWord(q.Segment(), consumerLock, 1)
	if _, err := q.Enqueue([]byte("a")); !goshm.IsKind(err, goshm.KindLockTimeout) {
		t.Fatalf("Enqueue under a held producer lock: %v", err)
	}
	// Only the producer named: the consumer lock is taken normally for the repair, and times out.
	if _, _, err := q.BreakLock(goshm.LockProducer, false); !goshm.IsKind(err, goshm.KindLockTimeout) {
		t.Fatalf("BreakLock(producer) with the consumer lock held: %v", err)
	}
	p, c, err := q.BreakLock(goshm.LockProducer|goshm.LockConsumer, false)
	if err != nil || p != 1 || c != 1 {
		t.Fatalf("BreakLock(both) = %d, %d, %v; want 1, 1, nil", p, c, err)
	}
	if ok, err := q.Enqueue([]byte("a")); !ok || err != nil {
		t.Fatalf("Enqueue after BreakLock: %v, %v", ok, err)
	}
	q.SetStaleLockTimeout(20 * time.Millisecond)
	pokeWord(q.Segment(), consumerLock, 1)
	// 50 ms lock timeout, 20 ms stale: the dequeue takes the consumer lock over.
	buf := make([]byte, 8)
	if n, ok, err := q.Dequeue(buf); err != nil || !ok || string(buf[:n]) != "a" {
		t.Fatalf("Dequeue under the stale rule: %q, %v, %v", buf[:n], ok, err)
	}
	if p, c := q.StaleLockBroken(); p != 0 || c != 1 {
		t.Fatalf("StaleLockBroken = %d, %d; want 0, 1", p, c)
	}
}
