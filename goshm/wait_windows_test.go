// The wake-up latency Windows waiters get from polling (futex_other.go), which the README states.

//go:build windows

package goshm

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWindowsWaitPollLatency(t *testing.T) {
	var word uint32
	changed := make(chan time.Time, 1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		changed <- time.Now()
		atomic.StoreUint32(&word, 1)
		sys.wake(&word) // nobody to wake: the waiter must notice by itself
	}()
	start := time.Now()
	for atomic.LoadUint32(&word) == 0 {
		if time.Since(start) > 2*time.Second {
			t.Fatal("the waiter never saw the word change")
		}
		sys.wait(&word, 0, time.Second)
	}
	if late := time.Since(<-changed); late > 20*time.Millisecond {
		t.Fatalf("the waiter saw the change %v after it was made; polling promises about 1 ms", late)
	} else {
		t.Logf("seen %v after the change", late)
	}
}
