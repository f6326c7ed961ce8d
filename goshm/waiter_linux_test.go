// Tests of the grouped waiter's follow checks (waiter_linux.go): a quiet watch on a name nobody
// replaces does not look the name up at every tick.

//go:build linux

package goshm

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

func TestQuietFollowersSkipLookups(t *testing.T) {
	if !hasWaitv() {
		t.Skip("no futex_waitv: every watch has its own goroutine")
	}
	const n = 20
	const poll = 2 * time.Millisecond
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("goshm-test-%d-quiet-%d", os.Getpid(), i)
		w := pOpenStream(t, name, OpenOptions{Size: 64, Create: true, Unlink: true})
		r := pOpenStream(t, name, OpenOptions{})
		r.EnableReattach(poll, 0)
		if w.Follows() || !r.Follows() {
			t.Fatal("the reader should follow its name, the writer not")
		}
		if _, err := r.Watch(FieldRevision, poll, func(uint32, bool) {}); err != nil {
			t.Fatal(err)
		}
	}
	start := nameLooks.Load()
	time.Sleep(300 * time.Millisecond)
	looks := nameLooks.Load() - start
	// At least 300 ms / (10 x poll) ticks each: looking at every tick would be 300 lookups or more.
	// The folder's own changes (other processes' segments) may cause some.
	t.Logf("%d watches, %d lookups in 300 ms", n, looks)
	if looks > n*15/2 {
		t.Errorf("%d lookups by %d quiet watches in 300 ms", looks, n)
	}
}

// Quiet watches cost their group's goroutine nothing at the poll ticks: the ticker thread checks the
// words and wakes the goroutine only for a change; a peer's write that wakes nobody is still seen.
func TestQuietTicksLeaveTheGoroutineAsleep(t *testing.T) {
	if !hasWaitv() {
		t.Skip("no futex_waitv: every watch has its own goroutine")
	}
	const poll = 2 * time.Millisecond
	w := pOpenStream(t, fmt.Sprintf("goshm-test-%d-ticks", os.Getpid()), OpenOptions{Size: 64, Create: true, Unlink: true})
	seen := make(chan uint32, 16)
	if _, err := w.Watch(FieldRevision, poll, func(v uint32, ended bool) {
		if !ended {
			seen <- v
		}
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	start := groupRounds.Load()
	time.Sleep(300 * time.Millisecond)
	// Ticks every 2 to 20 ms: a goroutine woken by each would make 15 rounds or more.
	if rounds := groupRounds.Load() - start; rounds > 5 {
		t.Errorf("%d rounds of the group's goroutine in 300 quiet ms", rounds)
	}
	// A write as the C++ library makes it: the revision stored, nobody woken.
	rev := (*uint32)(unsafe.Pointer(&w.mem[V2Revision]))
	atomic.AddUint32(rev, 1)
	want := atomic.LoadUint32(rev)
	for deadline := time.After(time.Second); ; {
		select {
		case v := <-seen:
			if v == want {
				return
			}
		case <-deadline:
			t.Fatalf("the revision %d, stored without a wake, was not reported within a second", want)
		}
	}
}
