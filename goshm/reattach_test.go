// Tests of a reader following its name to a new segment (reattach.go), with the restart of a
// libsharedmemory writer done as create() does it: unlink the name, make a new segment under it.

//go:build linux

package goshm_test

import (
	"os"
	"testing"
	"time"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

const reattachPoll = 5 * time.Millisecond

// restartWriter removes the name and makes a new v2 segment of size bytes under it holding value,
// as a C++ writer restarting does; the new writer is closed at the end of the test.
func restartWriter(t *testing.T, name string, size int64, value string) *goshm.Stream {
	t.Helper()
	if err := os.Remove(shmPath(name)); err != nil {
		t.Fatal(err)
	}
	w := create(t, name, size, goshm.LayoutV2)
	mustWrite(t, w, goshm.TypeString, []byte(value))
	return w
}

func following(t *testing.T, name string) *goshm.Stream {
	t.Helper()
	r := attach(t, name, goshm.StreamOptions{Layout: goshm.LayoutV2})
	r.EnableReattach(reattachPoll, 0)
	return r
}

// readSoon reads until the value is want, for at most a second.
func readSoon(t *testing.T, r *goshm.Stream, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, _ := mustRead(t, r, goshm.TypeString)
		if got = string(b); got == want {
			return
		}
	}
	t.Fatalf("read %q for a second after the restart, want %q", got, want)
}

func TestReattachOnRead(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, w, goshm.TypeString, []byte("old"))
	r := following(t, name)
	readSoon(t, r, "old")
	mapped := goshm.MappedSegments()
	w.Close()
	restartWriter(t, name, 128, "new")
	readSoon(t, r, "new")
	if g := r.Generation(); g != 1 {
		t.Fatalf("generation %d after one restart, want 1", g)
	}
	if r.Segment().Size() != 128 {
		t.Fatalf("mapped %d bytes, want the new segment's 128", r.Segment().Size())
	}
	// The old mapping was released: the writer's went with its Close, and the reader's old one
	// was swapped for the new one (the new writer's is one more).
	if got := goshm.MappedSegments(); got != mapped {
		t.Fatalf("%d segments mapped after the reattach, want %d", got, mapped)
	}
}

func TestReattachOffKeepsOld(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, w, goshm.TypeString, []byte("old"))
	r := attach(t, name, goshm.StreamOptions{Layout: goshm.LayoutV2})
	w.Close()
	restartWriter(t, name, 64, "new")
	time.Sleep(3 * reattachPoll)
	if b, _ := mustRead(t, r, goshm.TypeString); string(b) != "old" {
		t.Fatalf("a reader without reattach read %q, want the old segment's %q", b, "old")
	}
}

func TestReattachNameGoneKeepsOld(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, w, goshm.TypeString, []byte("old"))
	r := following(t, name)
	if err := os.Remove(shmPath(name)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * reattachPoll)
	if b, _ := mustRead(t, r, goshm.TypeString); string(b) != "old" || r.Generation() != 0 {
		t.Fatalf("read %q (generation %d) with the name gone, want %q on the old segment", b, r.Generation(), "old")
	}
	// The writer still writes the old segment, and the reader still sees it.
	mustWrite(t, w, goshm.TypeString, []byte("still"))
	readSoon(t, r, "still")
}

// A new object that is not a segment of the layout yet (a writer between shm_open and ftruncate:
// 0 bytes) or at all (smaller than the header) is not followed; once it is valid, it is.
func TestReattachInvalidThenValid(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, w, goshm.TypeString, []byte("old"))
	r := following(t, name)
	w.Close()
	for _, img := range [][]byte{{}, make([]byte, goshm.LayoutV2.MinSize()-1)} {
		os.Remove(shmPath(name))
		plant(t, name, img)
		time.Sleep(3 * reattachPoll)
		for i := 0; i < 3; i++ {
			if b, _ := mustRead(t, r, goshm.TypeString); string(b) != "old" || r.Generation() != 0 {
				t.Fatalf("read %q (generation %d) with a %d-byte object under the name, want %q", b, r.Generation(), len(img), "old")
			}
			time.Sleep(reattachPoll)
		}
	}
	// The same object grown to a real segment (what ftruncate does next) is followed.
	if err := os.Truncate(shmPath(name), 64); err != nil {
		t.Fatal(err)
	}
	w2 := create(t, name, 64, goshm.LayoutV2)
	mustWrite(t, w2, goshm.TypeString, []byte("grown"))
	readSoon(t, r, "grown")
}

// A watcher notices the restart at a poll tick, the stream follows at its next read, and the
// watcher moves to the new segment: a write there is reported.
func TestReattachWatcherFollows(t *testing.T) {
	name := segName(t, "")
	w := create(t, name, 64, goshm.LayoutV2)
	r := following(t, name)
	log := newNotifyLog()
	if _, err := r.Watch(goshm.FieldRevision, reattachPoll, log.notify); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// A new writer with a few writes: its revision is one the old segment never had.
	w2 := restartWriter(t, name, 64, "a")
	for i := 0; i < 6; i++ {
		mustWrite(t, w2, goshm.TypeString, []byte("b"))
	}
	log.waitFor(t, 0) // the old segment's revision, reported when the name moved
	readSoon(t, r, "b")
	mustWrite(t, w2, goshm.TypeString, []byte("c"))
	log.waitFor(t, 8)
	r.Close()
	log.checkEnded(t, 8)
}

// A consumer of a queue whose C++ writer restarted (a new queue under the name, here with another
// capacity) takes the new queue's messages; one without reattach keeps the old, empty queue.
func TestQueueReattach(t *testing.T) {
	name := segName(t, "")
	w, err := goshm.OpenQueue(name, goshm.OpenOptions{Create: true}, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 4, MaxMessageSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	openConsumer := func(follow bool) *goshm.Queue {
		c, err := goshm.OpenQueue(name, goshm.OpenOptions{}, goshm.QueueOptions{Layout: goshm.LayoutV2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if follow {
			c.EnableReattach(reattachPoll, false)
		}
		return c
	}
	c, stays := openConsumer(true), openConsumer(false)
	log := newNotifyLog()
	if _, err := c.Watch(reattachPoll, log.notify); err != nil {
		t.Fatal(err)
	}
	w.Close()
	os.Remove(shmPath(name))
	// Between ftruncate and the header stores: not a queue yet, looked at again later.
	plant(t, name, make([]byte, 64))
	time.Sleep(3 * reattachPoll)
	if _, found, err := c.Dequeue(make([]byte, 16)); err != nil || found || c.Generation() != 0 {
		t.Fatalf("dequeue with a blank object under the name: found %v, err %v, generation %d", found, err, c.Generation())
	}
	os.Remove(shmPath(name))
	w2, err := goshm.OpenQueue(name, goshm.OpenOptions{Create: true}, goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 8, MaxMessageSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w2.Close() })
	if ok, err := w2.Enqueue([]byte("after restart")); !ok || err != nil {
		t.Fatalf("enqueue: %v %v", ok, err)
	}
	// The watcher tells the consumer (its next operation looks at once), and the consumer takes
	// from the new queue.
	for calls := len(log.snapshot()); len(log.snapshot()) == calls; time.Sleep(time.Millisecond) {
	}
	buf := make([]byte, 32)
	n, found, err := c.Dequeue(buf)
	if err != nil || !found || string(buf[:n]) != "after restart" {
		t.Fatalf("dequeue after the restart: %q, found %v, err %v", buf[:n], found, err)
	}
	// The watcher moved to the new queue: its count is reported.
	if ok, err := w2.Enqueue([]byte("next")); !ok || err != nil {
		t.Fatalf("enqueue: %v %v", ok, err)
	}
	log.waitFor(t, 1)
	if c.Capacity() != 8 || c.MaxMessageSize() != 32 || c.Generation() != 1 {
		t.Fatalf("capacity %d, maxMessageSize %d, generation %d; want the new queue's 8, 32 and 1", c.Capacity(), c.MaxMessageSize(), c.Generation())
	}
	if _, found, _ := stays.Dequeue(buf); found {
		t.Fatal("a queue without reattach took a message of the new queue")
	}
}
