// Tests of the grouped waiter's follow checks (waiter_linux.go): a quiet watch on a name nobody
// replaces does not look the name up at every tick.

//go:build linux

package goshm

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestQuietFollowersSkipLookups(t *testing.T) {
	if !hasWaitv() {
		t.Skip("no futex_waitv: every watch has its own goroutine")
	}
	const n = 20
	const poll = 2 * time.Millisecond
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("goshm-test-%d-quiet-%d", os.Getpid(), i)
		w := pOpenStream(t, name, OpenOptions{Size: 64, Create: true})
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
