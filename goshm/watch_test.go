// Tests of watchers: the change notifications, and the one final call that ends every watch,
// whether it is stopped, its stream or queue is closed, or the segment faults.

//go:build linux

package goshm_test

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

type notifyCall struct {
	value uint32
	ended bool
}

// notifyLog records a watcher's calls, and whether two ever overlapped.
type notifyLog struct {
	mu         sync.Mutex
	calls      []notifyCall
	inside     atomic.Int32
	overlapped atomic.Bool
	ended      chan struct{} // closed by the first ended call
	endedOnce  sync.Once
}

func newNotifyLog() *notifyLog { return &notifyLog{ended: make(chan struct{})} }

func (l *notifyLog) notify(v uint32, ended bool) {
	if l.inside.Add(1) != 1 {
		l.overlapped.Store(true)
	}
	defer l.inside.Add(-1)
	l.mu.Lock()
	l.calls = append(l.calls, notifyCall{v, ended})
	l.mu.Unlock()
	if ended {
		l.endedOnce.Do(func() { close(l.ended) })
	}
}

func (l *notifyLog) snapshot() []notifyCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]notifyCall(nil), l.calls...)
}

// waitFor waits until a change call with value v has come.
func (l *notifyLog) waitFor(t *testing.T, v uint32) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, c := range l.snapshot() {
			if c.value == v && !c.ended {
				return
			}
		}
	}
	t.Fatalf("no notification of value %d in 5 s; calls %v", v, l.snapshot())
}

// checkEnded fails unless the log ends with exactly one ended call, of value want, and no call
// comes after it.
func (l *notifyLog) checkEnded(t *testing.T, want uint32) {
	t.Helper()
	select {
	case <-l.ended:
	default:
		t.Fatalf("no ended call; calls %v", l.snapshot())
	}
	before := l.snapshot()
	time.Sleep(20 * time.Millisecond) // a call after the end would come within the poll interval
	calls := l.snapshot()
	if len(calls) != len(before) {
		t.Errorf("calls after the ended one: %v", calls[len(before):])
	}
	ended := 0
	for _, c := range calls {
		if c.ended {
			ended++
		}
	}
	if last := calls[len(calls)-1]; ended != 1 || !last.ended || last.value != want {
		t.Errorf("calls %v: want exactly one ended call, last, with value %d", calls, want)
	}
	if l.overlapped.Load() {
		t.Error("two notify calls overlapped")
	}
}

const watchPoll = time.Millisecond

func TestWatchStop(t *testing.T) {
	for _, f := range []goshm.Field{goshm.FieldRevision, goshm.FieldAck} {
		t.Run(map[goshm.Field]string{goshm.FieldRevision: "revision", goshm.FieldAck: "ack"}[f], func(t *testing.T) {
			s := create(t, segName(t, ""), 64, goshm.LayoutV2)
			mustWrite(t, s, goshm.TypeString, []byte("one"))
			mustWrite(t, s, goshm.TypeString, []byte("two"))
			if f == goshm.FieldAck {
				if err := s.MarkAsRead(); err != nil {
					t.Fatal(err)
				}
			}
			log := newNotifyLog()
			w, err := s.Watch(f, watchPoll, log.notify)
			if err != nil {
				t.Fatal(err)
			}
			if w.Baseline() != 2 {
				t.Errorf("Baseline() = %d; want 2, the value when the watch started", w.Baseline())
			}
			mustWrite(t, s, goshm.TypeString, []byte("three"))
			if f == goshm.FieldAck {
				mustRead(t, s, goshm.TypeString)
				if err := s.MarkAsRead(); err != nil {
					t.Fatal(err)
				}
			}
			log.waitFor(t, 3)
			if err := w.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			log.checkEnded(t, 3)
			if err := w.Stop(); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
			log.checkEnded(t, 3)
		})
	}
}

// Close stops the stream's watchers, each with its ended call, before the mapping goes.
func TestWatchEndsOnClose(t *testing.T) {
	s, err := goshm.OpenStream(segName(t, ""), goshm.OpenOptions{Size: 64, Create: true}, goshm.StreamOptions{Layout: goshm.LayoutV2})
	if err != nil {
		t.Fatal(err)
	}
	rev, ack := newNotifyLog(), newNotifyLog()
	wr, err := s.Watch(goshm.FieldRevision, watchPoll, rev.notify)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := s.Watch(goshm.FieldAck, watchPoll, ack.notify)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, goshm.TypeString, []byte("x"))
	rev.waitFor(t, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rev.checkEnded(t, 1)
	ack.checkEnded(t, 0)
	for _, w := range []*goshm.Watcher{wr, wa} {
		if err := w.Stop(); err != nil {
			t.Errorf("Stop after Close: %v", err)
		}
	}
	rev.checkEnded(t, 1)
	if _, err := s.Watch(goshm.FieldRevision, watchPoll, rev.notify); err == nil {
		t.Error("Watch on a closed stream succeeded")
	}
}

func TestQueueWatchEndsOnClose(t *testing.T) {
	q, err := goshm.OpenQueue(segName(t, ""), goshm.OpenOptions{Create: true},
		goshm.QueueOptions{Layout: goshm.LayoutV2, Capacity: 4, MaxMessageSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	log := newNotifyLog()
	w, err := q.Watch(watchPoll, log.notify)
	if err != nil {
		t.Fatal(err)
	}
	if w.Baseline() != 0 {
		t.Errorf("Baseline() = %d on an empty queue", w.Baseline())
	}
	if ok, err := q.Enqueue([]byte("m")); !ok || err != nil {
		t.Fatalf("Enqueue = %v, %v", ok, err)
	}
	log.waitFor(t, 1)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	log.checkEnded(t, 1)
	if err := w.Stop(); err != nil {
		t.Errorf("Stop after Close: %v", err)
	}
}

// A segment truncated under a watcher ends it by itself, with value 0; Stop then reports the fault.
func TestWatchEndsOnFault(t *testing.T) {
	name := segName(t, "")
	s := create(t, name, 4096, goshm.LayoutV2)
	log := newNotifyLog()
	w, err := s.Watch(goshm.FieldRevision, watchPoll, log.notify)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(shmPath(name), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-log.ended:
	case <-time.After(5 * time.Second):
		t.Fatalf("the watcher did not end within 5 s of the truncation; calls %v", log.snapshot())
	}
	log.checkEnded(t, 0)
	checkFault(t, "Stop", w.Stop(), name)
	checkFault(t, "second Stop", w.Stop(), name)
	log.checkEnded(t, 0)

	// Watching a segment that faults is an error too, not a dead process.
	_, err = s.Watch(goshm.FieldAck, watchPoll, log.notify)
	checkFault(t, "Watch", err, name)
}

// Watches beyond one waiter's 127 words (waiter_linux.go): each gets its own changes, and Stop from
// many goroutines at once gives each exactly one ended call; the threads do not grow with them.
func TestManyWatches(t *testing.T) {
	const n = 300
	threads := func() int {
		entries, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	streams := make([]*goshm.Stream, n)
	logs := make([]*notifyLog, n)
	watchers := make([]*goshm.Watcher, n)
	for i := range streams {
		streams[i] = create(t, segName(t, strconv.Itoa(i)), 64, goshm.LayoutV2)
		logs[i] = newNotifyLog()
	}
	// The first watch may start the runtime's threads for blocking calls; the others must not add any.
	var err error
	if watchers[0], err = streams[0].Watch(goshm.FieldRevision, watchPoll, logs[0].notify); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	before := threads()
	for i := 1; i < n; i++ {
		if watchers[i], err = streams[i].Watch(goshm.FieldRevision, watchPoll, logs[i].notify); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range streams {
		for j := 0; j <= i%3; j++ {
			mustWrite(t, s, goshm.TypeString, []byte("x"))
		}
	}
	want := func(i int) uint32 { return watchers[i].Baseline() + uint32(i%3+1) }
	for i := range streams {
		logs[i].waitFor(t, want(i))
	}
	if grown := threads() - before; grown > 8 {
		t.Errorf("%d watches added %d threads", n, grown)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if err := watchers[i].Stop(); err != nil {
					t.Errorf("Stop %d: %v", i, err)
				}
			}
		}(g)
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond) // a call after the end would come within the poll interval
	for i, l := range logs {
		calls := l.snapshot()
		ended := 0
		for _, c := range calls {
			if c.ended {
				ended++
			}
		}
		if last := calls[len(calls)-1]; ended != 1 || !last.ended || last.value != want(i) || l.overlapped.Load() {
			t.Errorf("watch %d: calls %v: want exactly one ended call, last, with value %d, none overlapping", i, calls, want(i))
		}
	}
}

// A watch with its own goroutine (systems without futex_waitv) used to miss Stop's one wake when
// it came between the goroutine's look at the stop flag and its wait on the word: the word is
// unchanged, so the goroutine slept a whole poll interval, and Stop blocked its caller that long
// (seen as a 1-in-5 hang of a 2000-cycle queue test with pollInterval 60000). The hook lands the
// stop signal exactly there; Stop must still return at once.
func TestStopWithOwnGoroutineIsNotLost(t *testing.T) {
	goshm.OwnGoroutines(true)
	defer goshm.OwnGoroutines(false)
	var signalled sync.Once
	goshm.BeforeWait(func(w *goshm.Watcher) { signalled.Do(w.StopSignal) })
	defer goshm.BeforeWait(nil)
	s := create(t, segName(t, "stop-race"), 64, goshm.LayoutV2)
	w, err := s.Watch(goshm.FieldRevision, 20*time.Second, func(uint32, bool) {})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the goroutine signals itself and goes to its wait
	began := time.Now()
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("Stop took %v: it waited out the poll interval", took)
	}
}
