// Tests of the FIFO queue (queue.go) against the images written by the C++ library, and under
// concurrency, corruption, truncation and dead lock holders.

//go:build linux

package goshm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const qVectorsDir = "../test/fixtures/vectors"

var qSeq atomic.Int64

// qName returns a segment name unique to this process, and removes the segment when the test ends.
func qName(t testing.TB) string {
	t.Helper()
	n := fmt.Sprintf("goshm-q-%d-%d", os.Getpid(), qSeq.Add(1))
	t.Cleanup(func() { os.Remove("/dev/shm/" + n) })
	return n
}

func qPlant(t testing.TB, name string, img []byte) {
	t.Helper()
	if err := os.WriteFile("/dev/shm/"+name, img, 0o600); err != nil {
		t.Fatal(err)
	}
}

func qFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("/dev/shm/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func qWantKind(t testing.TB, err error, k Kind) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want kind %d", k)
	}
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("error %T %v is not a *goshm.Error", err, err)
	}
	if e.Kind != k {
		t.Fatalf("error kind %d (%s), want %d: %v", e.Kind, e.Code(), k, err)
	}
	return e
}

func qOpen(t testing.TB, name string, o OpenOptions, qo QueueOptions) *Queue {
	t.Helper()
	q, err := OpenQueue(name, o, qo)
	if err != nil {
		t.Fatalf("OpenQueue(%q): %v", name, err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func qCreate(t testing.TB, l Layout, capacity, maxMsg int) (string, *Queue) {
	t.Helper()
	name := qName(t)
	return name, qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: l, Capacity: capacity, MaxMessageSize: maxMsg})
}

func qEnq(t testing.TB, q *Queue, msg string) {
	t.Helper()
	ok, err := q.Enqueue([]byte(msg))
	if err != nil || !ok {
		t.Fatalf("Enqueue(%q) = %v, %v; want true, nil", msg, ok, err)
	}
}

func qDeq(t testing.TB, q *Queue) string {
	t.Helper()
	buf := make([]byte, q.MaxMessageSize())
	n, ok, err := q.Dequeue(buf)
	if err != nil || !ok {
		t.Fatalf("Dequeue = %d, %v, %v; want a message", n, ok, err)
	}
	return string(buf[:n])
}

func qWantEmpty(t testing.TB, q *Queue) {
	t.Helper()
	n, ok, err := q.Dequeue(make([]byte, q.MaxMessageSize()))
	if err != nil || ok || n != 0 {
		t.Fatalf("Dequeue on an empty queue = %d, %v, %v; want 0, false, nil", n, ok, err)
	}
}

func qLen(t testing.TB, q *Queue) int {
	t.Helper()
	n, err := q.Len()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var qLayouts = []Layout{LayoutV2, LayoutV1}

// ---- the images of the C++ library ----

type qVector struct {
	File           string   `json:"file"`
	Capacity       int      `json:"capacity"`
	MaxMessageSize int      `json:"maxMessageSize"`
	Ops            []string `json:"ops"`
	Expect         struct {
		WriteIndex uint32   `json:"writeIndex"`
		ReadIndex  uint32   `json:"readIndex"`
		Count      uint32   `json:"count"`
		Messages   []string `json:"messages"`
	} `json:"expect"`
	layout Layout
	image  []byte
}

func qVectors(t testing.TB) []qVector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(qVectorsDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Vectors []qVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	var out []qVector
	for _, v := range m.Vectors {
		if !strings.HasPrefix(filepath.Base(v.File), "queue-") {
			continue
		}
		switch filepath.Dir(v.File) {
		case "libsharedmemory-2.0.0":
			v.layout = LayoutV2
		case "libsharedmemory-1.10.0":
			v.layout = LayoutV1
		default:
			t.Fatalf("queue image %s in a folder of unknown layout", v.File)
		}
		if v.image, err = os.ReadFile(filepath.Join(qVectorsDir, v.File)); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if len(out) != 6 {
		t.Fatalf("manifest lists %d queue images, want 6 (3 per layout)", len(out))
	}
	return out
}

func TestQueueVectorsRead(t *testing.T) {
	for _, v := range qVectors(t) {
		t.Run(v.File, func(t *testing.T) {
			hdr := queueHeaderSize(v.layout)
			if want := hdr + v.Capacity*(4+v.MaxMessageSize); len(v.image) != want {
				t.Fatalf("image is %d bytes, want %d", len(v.image), want)
			}
			name := qName(t)
			qPlant(t, name, v.image)

			// Capacity and maxMessageSize from the header.
			q := qOpen(t, name, OpenOptions{}, QueueOptions{Layout: v.layout})
			if q.Capacity() != v.Capacity || q.MaxMessageSize() != v.MaxMessageSize {
				t.Fatalf("capacity %d, maxMessageSize %d; want %d, %d", q.Capacity(), q.MaxMessageSize(), v.Capacity, v.MaxMessageSize)
			}
			w, r, c, err := q.state()
			if err != nil || w != v.Expect.WriteIndex || r != v.Expect.ReadIndex || c != v.Expect.Count {
				t.Fatalf("state %d %d %d %v; want writeIndex %d readIndex %d count %d",
					w, r, c, err, v.Expect.WriteIndex, v.Expect.ReadIndex, v.Expect.Count)
			}
			if n := qLen(t, q); n != len(v.Expect.Messages) {
				t.Fatalf("Len %d, want %d", n, len(v.Expect.Messages))
			}

			// Matching explicit sizes are accepted; others are a KindLayout error naming both.
			q2 := qOpen(t, name, OpenOptions{}, QueueOptions{Layout: v.layout, Capacity: v.Capacity, MaxMessageSize: v.MaxMessageSize})
			_, err = OpenQueue(name, OpenOptions{}, QueueOptions{Layout: v.layout, Capacity: v.Capacity + 1})
			if e := qWantKind(t, err, KindLayout); !strings.Contains(e.Msg, strconv.Itoa(v.Capacity)) || !strings.Contains(e.Msg, strconv.Itoa(v.Capacity+1)) {
				t.Errorf("capacity mismatch message does not name both values: %s", e.Msg)
			}
			_, err = OpenQueue(name, OpenOptions{}, QueueOptions{Layout: v.layout, MaxMessageSize: v.MaxMessageSize * 2})
			if e := qWantKind(t, err, KindLayout); !strings.Contains(e.Msg, strconv.Itoa(v.MaxMessageSize)) || !strings.Contains(e.Msg, strconv.Itoa(v.MaxMessageSize*2)) {
				t.Errorf("maxMessageSize mismatch message does not name both values: %s", e.Msg)
			}

			for i, want := range v.Expect.Messages {
				// Peek, through the other Queue, sees the same message without taking it.
				buf := make([]byte, v.MaxMessageSize)
				n, ok, err := q2.Peek(buf)
				if err != nil || !ok || string(buf[:n]) != want {
					t.Fatalf("Peek %d = %q, %v, %v; want %q", i, buf[:n], ok, err, want)
				}
				if got := qDeq(t, q); got != want {
					t.Fatalf("message %d = %q, want %q", i, got, want)
				}
			}
			qWantEmpty(t, q)
			qWantEmpty(t, q2)
		})
	}
}

var (
	qEnqueueOp = regexp.MustCompile(`^enqueue\('(.*)'\)$`)
	qDequeueOp = regexp.MustCompile(`^dequeue\(\) -> '(.*)'$`)
)

func TestQueueVectorsReplay(t *testing.T) {
	for _, v := range qVectors(t) {
		t.Run(v.File, func(t *testing.T) {
			name := qName(t)
			qo := QueueOptions{Layout: v.layout, Capacity: v.Capacity, MaxMessageSize: v.MaxMessageSize}
			var writer, reader *Queue
			for _, op := range v.Ops {
				switch m := qEnqueueOp.FindStringSubmatch(op); {
				case op == "new queue writer":
					writer = qOpen(t, name, OpenOptions{Create: true}, qo)
				case m != nil:
					if writer == nil {
						writer = qOpen(t, name, OpenOptions{Create: true}, qo)
					}
					qEnq(t, writer, m[1])
				default:
					d := qDequeueOp.FindStringSubmatch(op)
					if d == nil {
						t.Fatalf("unknown op %q", op)
					}
					if reader == nil {
						reader = qOpen(t, name, OpenOptions{}, QueueOptions{Layout: v.layout})
					}
					if got := qDeq(t, reader); got != d[1] {
						t.Fatalf("%s: got %q", op, got)
					}
				}
			}
			got := qFile(t, name)
			if !bytes.Equal(got, v.image) {
				t.Fatalf("segment differs from %s:\n got  %x\n want %x", v.File, got, v.image)
			}
		})
	}
}

// ---- behaviour ----

func TestQueueFullEmpty(t *testing.T) {
	for _, l := range qLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name, q := qCreate(t, l, 2, 8)
			qWantEmpty(t, q)
			if n, ok, err := q.Peek(make([]byte, 8)); n != 0 || ok || err != nil {
				t.Fatalf("Peek on empty = %d, %v, %v", n, ok, err)
			}
			qEnq(t, q, "a")
			qEnq(t, q, "bb")
			before := qFile(t, name)
			if ok, err := q.Enqueue([]byte("c")); ok || err != nil {
				t.Fatalf("Enqueue into a full queue = %v, %v; want false, nil", ok, err)
			}
			if !bytes.Equal(before, qFile(t, name)) {
				t.Fatal("a refused Enqueue changed the segment")
			}
			if n := qLen(t, q); n != 2 {
				t.Fatalf("Len %d, want 2", n)
			}

			// A dst too small: nothing copied, nothing consumed, n is the length needed.
			small := []byte{'x'}
			n, ok, err := q.Peek(small[:0])
			if n != 1 || !ok || err != nil {
				t.Fatalf("Peek with empty dst = %d, %v, %v; want 1, true, nil", n, ok, err)
			}
			if n, ok, err := q.Dequeue(small[:0]); n != 1 || !ok || err != nil || qLen(t, q) != 2 {
				t.Fatalf("Dequeue with a too-small dst = %d, %v, %v (Len %d); want 1, true, nil, Len 2", n, ok, err, qLen(t, q))
			}
			if got := qDeq(t, q); got != "a" {
				t.Fatalf("got %q, want a", got)
			}
			if n, ok, err := q.Dequeue(small); n != 2 || !ok || err != nil || small[0] != 'x' || qLen(t, q) != 1 {
				t.Fatalf("Dequeue of 2 bytes into 1 = %d, %v, %v, dst %q; want 2, true, nil, untouched", n, ok, err, small)
			}
			qEnq(t, q, "ccc") // wraps around
			if got := qDeq(t, q); got != "bb" {
				t.Fatalf("got %q, want bb", got)
			}
			if got := qDeq(t, q); got != "ccc" {
				t.Fatalf("got %q, want ccc", got)
			}
			qWantEmpty(t, q)

			// Empty messages are messages.
			qEnq(t, q, "")
			if n, ok, err := q.Dequeue(nil); n != 0 || !ok || err != nil {
				t.Fatalf("Dequeue of an empty message = %d, %v, %v; want 0, true, nil", n, ok, err)
			}
			qWantEmpty(t, q)
		})
	}
}

// Like libsharedmemory, a slot keeps the bytes of older, longer messages after the new length.
func TestQueueSlotBytesAsLibsharedmemory(t *testing.T) {
	for _, l := range qLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name, q := qCreate(t, l, 1, 8)
			qEnq(t, q, "hello")
			if got := qDeq(t, q); got != "hello" {
				t.Fatal(got)
			}
			slot := qFile(t, name)[queueHeaderSize(l):]
			if !bytes.Equal(slot, []byte("\x05\x00\x00\x00hello\x00\x00\x00")) {
				t.Fatalf("after dequeue the slot is %q; libsharedmemory leaves it as written", slot)
			}
			qEnq(t, q, "ab")
			slot = qFile(t, name)[queueHeaderSize(l):]
			if !bytes.Equal(slot, []byte("\x02\x00\x00\x00abllo\x00\x00\x00")) {
				t.Fatalf("slot is %q; libsharedmemory writes the length and only the message's bytes", slot)
			}
			if got := qDeq(t, q); got != "ab" {
				t.Fatal(got)
			}
		})
	}
}

func TestQueueTooLarge(t *testing.T) {
	for _, l := range qLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name, q := qCreate(t, l, 2, 8)
			before := qFile(t, name)
			ok, err := q.Enqueue([]byte("123456789"))
			e := qWantKind(t, err, KindTooLarge)
			if ok || !strings.Contains(e.Msg, "9 bytes") || !strings.Contains(e.Msg, "8 bytes") || e.Code() != "ERR_SHM_TOO_LARGE" {
				t.Fatalf("ok %v, message %q", ok, e.Msg)
			}
			if !bytes.Equal(before, qFile(t, name)) {
				t.Fatal("a too-large Enqueue changed the segment")
			}
			qEnq(t, q, "12345678")
			if got := qDeq(t, q); got != "12345678" {
				t.Fatal(got)
			}
		})
	}
}

// qAboveU32 is an int above the u32 range (or a negative one where int is 32 bits).
func qAboveU32() int {
	if strconv.IntSize == 32 {
		return -2
	}
	return int(^uint(0) >> 1) // math.MaxInt
}

func TestQueueOpenArguments(t *testing.T) {
	name := qName(t)
	for _, c := range []struct {
		what string
		o    OpenOptions
		qo   QueueOptions
		kind Kind
	}{
		{"layout v0", OpenOptions{Create: true}, QueueOptions{Layout: LayoutV0, Capacity: 1, MaxMessageSize: 1}, KindArg},
		{"layout 7", OpenOptions{Create: true}, QueueOptions{Layout: 7, Capacity: 1, MaxMessageSize: 1}, KindArg},
		{"read-only", OpenOptions{ReadOnly: true}, QueueOptions{Layout: LayoutV2}, KindArg},
		{"capacity 0", OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, MaxMessageSize: 1}, KindArg},
		{"maxMessageSize 0", OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 1}, KindArg},
		{"negative capacity", OpenOptions{}, QueueOptions{Layout: LayoutV2, Capacity: -1}, KindArg},
		{"capacity above u32", OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: qAboveU32(), MaxMessageSize: 1}, KindArg},
		{"missing", OpenOptions{}, QueueOptions{Layout: LayoutV2}, KindOS},
	} {
		_, err := OpenQueue(name, c.o, c.qo)
		if e, ok := AsError(err); !ok || e.Kind != c.kind {
			t.Errorf("%s: got %v, want kind %d", c.what, err, c.kind)
		}
	}
	if _, err := os.Stat("/dev/shm/" + name); !os.IsNotExist(err) {
		t.Errorf("a refused OpenQueue left a segment behind: %v", err)
	}
	_, err := OpenQueue("bad/name", OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 1, MaxMessageSize: 1})
	qWantKind(t, err, KindArg)
}

func TestQueueCreateAttaches(t *testing.T) {
	for _, l := range qLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name, q := qCreate(t, l, 3, 8)
			qEnq(t, q, "kept")
			before := qFile(t, name)

			// Creating again attaches: the message is still there.
			q2 := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: l, Capacity: 3, MaxMessageSize: 8})
			if q2.Segment().Created() {
				t.Fatal("the second create says it created the segment")
			}
			if !bytes.Equal(before, qFile(t, name)) {
				t.Fatal("attaching changed the segment")
			}
			// A mismatch is an error, and neither grows nor changes the segment.
			_, err := OpenQueue(name, OpenOptions{Create: true}, QueueOptions{Layout: l, Capacity: 5, MaxMessageSize: 8})
			qWantKind(t, err, KindLayout)
			_, err = OpenQueue(name, OpenOptions{Create: true}, QueueOptions{Layout: l, Capacity: 3, MaxMessageSize: 16})
			qWantKind(t, err, KindLayout)
			if !bytes.Equal(before, qFile(t, name)) {
				t.Fatal("a refused create changed the segment")
			}
			if got := qDeq(t, q2); got != "kept" {
				t.Fatal(got)
			}
		})
	}
}

// A segment that exists with an all-zero header (made by someone who has not written to it) is
// initialised by the creator; one holding other bytes is not touched.
func TestQueueCreateOverZeroSegment(t *testing.T) {
	name := qName(t)
	qPlant(t, name, make([]byte, 16))
	q := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4})
	qEnq(t, q, "ok")
	if got := qFile(t, name); len(got) != 28+2*8 || getU32(got[8:]) != 2 || getU32(got[16:]) != 4 {
		t.Fatalf("segment %x", got)
	}

	other := qName(t)
	img := []byte("not a queue, just bytes in a segment")
	qPlant(t, other, img)
	_, err := OpenQueue(other, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4})
	qWantKind(t, err, KindLayout)
	if got := qFile(t, other); !bytes.Equal(got, img) {
		t.Fatalf("a segment holding something else was changed: %q", got)
	}

	// A v2 stream: its capacity word (the ack) is 0, but the rest of its header is not.
	stream, err := os.ReadFile(filepath.Join(qVectorsDir, "libsharedmemory-2.0.0/stream-string.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if getU32(stream[qCapacity:]) != 0 {
		t.Fatal("fixture changed: want a stream whose ack is 0")
	}
	third := qName(t)
	qPlant(t, third, stream)
	_, err = OpenQueue(third, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 64, MaxMessageSize: 64})
	qWantKind(t, err, KindLayout)
	if got := qFile(t, third); !bytes.Equal(got, stream) {
		t.Fatal("a stream segment was changed (or grown) by a refused queue create")
	}
}

func TestQueueCorruptHeader(t *testing.T) {
	for _, v := range qVectors(t) {
		if !strings.HasSuffix(v.File, "queue-three.bin") {
			continue
		}
		t.Run(v.layout.String(), func(t *testing.T) {
			put := func(off int, val uint32) func([]byte) {
				return func(b []byte) { binary.LittleEndian.PutUint32(b[off:], val) }
			}
			cases := []struct {
				what   string
				change func([]byte)
			}{
				{"capacity 0", put(qCapacity, 0)},
				{"capacity one too many for the segment", put(qCapacity, 5)},
				{"capacity 2^32-1", put(qCapacity, 0xFFFFFFFF)},
				{"maxMessageSize 0", put(qMaxMessageSize, 0)},
				{"maxMessageSize one too large for the segment", put(qMaxMessageSize, 17)},
				{"maxMessageSize 2^32-1", put(qMaxMessageSize, 0xFFFFFFFF)},
				{"capacity*slot overflows 64 bits", func(b []byte) { put(qCapacity, 0xFFFFFFFF)(b); put(qMaxMessageSize, 0xFFFFFFFF)(b) }},
				{"capacity*slot wraps 32 bits", func(b []byte) { put(qCapacity, 0x10000)(b); put(qMaxMessageSize, 0xFFFC)(b) }},
				{"writeIndex = capacity", put(qWriteIndex, 4)},
				{"writeIndex 2^32-1", put(qWriteIndex, 0xFFFFFFFF)},
				{"readIndex = capacity", put(qReadIndex, 4)},
				{"readIndex 2^31", put(qReadIndex, 1<<31)},
				{"count = capacity+1", put(qCount, 5)},
				{"count 2^32-1", put(qCount, 0xFFFFFFFF)},
				{"segment shorter than the header", func(b []byte) {}},
			}
			for _, c := range cases {
				img := append([]byte(nil), v.image...)
				c.change(img)
				if c.what == "segment shorter than the header" {
					img = img[:queueHeaderSize(v.layout)-1]
				}
				name := qName(t)
				qPlant(t, name, img)
				q, err := OpenQueue(name, OpenOptions{}, QueueOptions{Layout: v.layout})
				if q != nil {
					q.Close()
				}
				if e, ok := AsError(err); !ok || e.Kind != KindLayout || e.Code() != "ERR_SHM_LAYOUT" || !strings.Contains(e.Msg, name) {
					t.Errorf("%s: got %v, want a KindLayout error naming the segment", c.what, err)
				}
				if !bytes.Equal(img, qFile(t, name)) {
					t.Errorf("%s: opening changed the segment", c.what)
				}
			}

			// A slot length above maxMessageSize is found when the slot is read.
			img := append([]byte(nil), v.image...)
			put(queueHeaderSize(v.layout), 17)(img) // slot 0, the next to read
			name := qName(t)
			qPlant(t, name, img)
			q := qOpen(t, name, OpenOptions{}, QueueOptions{Layout: v.layout})
			_, _, err := q.Peek(make([]byte, 64))
			qWantKind(t, err, KindLayout)
			_, _, err = q.Dequeue(make([]byte, 64))
			qWantKind(t, err, KindLayout)
			if !bytes.Equal(img, qFile(t, name)) {
				t.Error("a refused Dequeue changed the segment")
			}

			// Fields another process breaks after the open are caught by each operation.
			name = qName(t)
			qPlant(t, name, v.image)
			q = qOpen(t, name, OpenOptions{}, QueueOptions{Layout: v.layout})
			putWord := func(off int, val uint32) { atomic.StoreUint32(q.word(off), val) }
			putWord(qWriteIndex, 9)
			_, err = q.Enqueue([]byte("x"))
			qWantKind(t, err, KindLayout)
			putWord(qWriteIndex, 3)
			putWord(qReadIndex, 4)
			_, _, err = q.Dequeue(make([]byte, 16))
			qWantKind(t, err, KindLayout)
			putWord(qReadIndex, 0)
			putWord(qCount, 77)
			_, err = q.Len()
			qWantKind(t, err, KindLayout)
			_, err = q.Enqueue([]byte("x"))
			qWantKind(t, err, KindLayout)
			_, _, err = q.Peek(make([]byte, 16))
			qWantKind(t, err, KindLayout)
			putWord(qCount, 3)
			if got := qDeq(t, q); got != "one" {
				t.Fatal(got)
			}
		})
	}
}

func TestQueueTruncatedFault(t *testing.T) {
	for _, l := range qLayouts {
		t.Run(l.String(), func(t *testing.T) {
			name, q := qCreate(t, l, 4, 1000) // several pages
			qEnq(t, q, "before")
			if err := os.Truncate("/dev/shm/"+name, 0); err != nil {
				t.Fatal(err)
			}
			_, err := q.Len()
			qWantKind(t, err, KindFault)
			_, err = q.Enqueue([]byte("x"))
			qWantKind(t, err, KindFault)
			_, _, err = q.Dequeue(make([]byte, 1000))
			qWantKind(t, err, KindFault)
			_, _, err = q.Peek(make([]byte, 1000))
			qWantKind(t, err, KindFault)
			if err := q.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = q.Len()
			qWantKind(t, err, KindClosed)
		})
	}
}

func TestQueueUseAfterClose(t *testing.T) {
	_, q := qCreate(t, LayoutV2, 2, 4)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err := q.Enqueue([]byte("x"))
	qWantKind(t, err, KindClosed)
	_, _, err = q.Dequeue(nil)
	qWantKind(t, err, KindClosed)
	_, _, err = q.Peek(nil)
	qWantKind(t, err, KindClosed)
	_, err = q.Len()
	qWantKind(t, err, KindClosed)
}

func TestQueueUnlinkOnClose(t *testing.T) {
	name := qName(t)
	q, err := OpenQueue(name, OpenOptions{Create: true, Unlink: true}, QueueOptions{Layout: LayoutV2, Capacity: 1, MaxMessageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	if _, err := os.Stat("/dev/shm/" + name); !os.IsNotExist(err) {
		t.Fatalf("segment still there after Close with Unlink: %v", err)
	}
}

// ---- locks ----

func TestQueueLockHeldByLibsharedmemoryTimesOut(t *testing.T) {
	for _, off := range []int{qProducerLock, qConsumerLock} {
		t.Run(lockName(off), func(t *testing.T) {
			name := qName(t)
			qo := QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4, LockTimeout: 100 * time.Millisecond}
			q := qOpen(t, name, OpenOptions{Create: true}, qo)
			qEnq(t, q, "m")
			atomic.StoreUint32(q.word(off), anonymousHolder) // what the C++ library stores
			before := qFile(t, name)

			start := time.Now()
			var err error
			if off == qProducerLock {
				_, err = q.Enqueue([]byte("x"))
			} else {
				_, _, err = q.Dequeue(make([]byte, 4))
			}
			e := qWantKind(t, err, KindLockTimeout)
			if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
				t.Errorf("timed out after %v, want about 100ms", d)
			}
			if e.Code() != "ERR_SHM_LOCK_TIMEOUT" || !strings.Contains(e.Msg, name) || !strings.Contains(e.Msg, lockName(off)) ||
				!strings.Contains(e.Msg, "libsharedmemory stores 1") {
				t.Errorf("message %q should name the segment, the lock and the holder", e.Msg)
			}
			if off == qConsumerLock {
				_, _, err = q.Peek(make([]byte, 4))
				qWantKind(t, err, KindLockTimeout)
			}
			if !bytes.Equal(before, qFile(t, name)) {
				t.Error("a timed-out operation changed the segment")
			}
			// Len takes no lock.
			if n := qLen(t, q); n != 1 {
				t.Fatalf("Len %d", n)
			}
			atomic.StoreUint32(q.word(off), 0)
			if got := qDeq(t, q); got != "m" {
				t.Fatal(got)
			}
		})
	}
}

func TestQueueLockHeldByLiveProcessTimesOut(t *testing.T) {
	name := qName(t)
	q := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4, LockTimeout: 50 * time.Millisecond})
	atomic.StoreUint32(q.word(qProducerLock), ownTag) // alive: ourselves, through another Queue
	_, err := q.Enqueue([]byte("x"))
	e := qWantKind(t, err, KindLockTimeout)
	if !strings.Contains(e.Msg, "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("message %q should name the holder's pid", e.Msg)
	}
}

// qDeadPid returns the id of a process that has exited and been reaped.
func qDeadPid(t *testing.T) uint32 {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	pid := uint32(cmd.Process.Pid)
	if sys.pidAlive(pid) {
		t.Skipf("pid %d was reused already", pid)
	}
	return pid
}

func TestQueueDeadHolderTakenOver(t *testing.T) {
	for _, off := range []int{qProducerLock, qConsumerLock} {
		t.Run(lockName(off), func(t *testing.T) {
			dead := qDeadPid(t)
			name := qName(t)
			q := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4, LockTimeout: 5 * time.Second})
			qEnq(t, q, "m")
			atomic.StoreUint32(q.word(off), dead)
			start := time.Now()
			if off == qProducerLock {
				qEnq(t, q, "n")
			} else if got := qDeq(t, q); got != "m" {
				t.Fatal(got)
			}
			if d := time.Since(start); d < lockGrace {
				t.Errorf("taken over after %v, before the grace of %v", d, lockGrace)
			}
			for _, o := range []int{qProducerLock, qConsumerLock} {
				if v := atomic.LoadUint32(q.word(o)); v != 0 {
					t.Errorf("%s is %d after the operation, want 0", lockName(o), v)
				}
			}
		})
	}
}

// A producer that died between moving writeIndex and incrementing count had written its slot in
// full: the takeover publishes it.
func TestQueueRepairAfterDeadProducer(t *testing.T) {
	dead := qDeadPid(t)
	_, q := qCreate(t, LayoutV2, 4, 4)
	qEnq(t, q, "a")
	off := q.slotOffset(1)
	putU32(q.mem[off:], 1)
	q.mem[off+4] = 'b'
	atomic.StoreUint32(q.word(qWriteIndex), 2)
	atomic.StoreUint32(q.word(qProducerLock), dead)
	if n := qLen(t, q); n != 1 {
		t.Fatal(n)
	}
	qEnq(t, q, "c")
	if n := qLen(t, q); n != 3 {
		t.Fatalf("Len %d after the repair, want 3", n)
	}
	for _, want := range []string{"a", "b", "c"} {
		if got := qDeq(t, q); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	qWantEmpty(t, q)

	// One that died before moving writeIndex published nothing: its slot is simply reused.
	off = q.slotOffset(3)
	putU32(q.mem[off:], 3)
	copy(q.mem[off+4:], "zz")
	atomic.StoreUint32(q.word(qProducerLock), dead)
	qEnq(t, q, "d")
	if got := qDeq(t, q); got != "d" {
		t.Fatalf("got %q, want d", got)
	}
	qWantEmpty(t, q)
}

// A consumer that died between moving readIndex and decrementing count had copied the message
// out: the takeover completes the removal.
func TestQueueRepairAfterDeadConsumer(t *testing.T) {
	for _, producerToo := range []bool{false, true} {
		t.Run(fmt.Sprintf("producerLockDeadToo=%v", producerToo), func(t *testing.T) {
			dead := qDeadPid(t)
			_, q := qCreate(t, LayoutV2, 4, 4)
			qEnq(t, q, "a")
			qEnq(t, q, "b")
			atomic.StoreUint32(q.word(qReadIndex), 1)
			atomic.StoreUint32(q.word(qConsumerLock), dead)
			if producerToo {
				atomic.StoreUint32(q.word(qProducerLock), dead)
			}
			if got := qDeq(t, q); got != "b" {
				t.Fatalf("got %q, want b", got)
			}
			if n := qLen(t, q); n != 0 {
				t.Fatalf("Len %d after the repair, want 0", n)
			}
			qEnq(t, q, "c")
			if got := qDeq(t, q); got != "c" {
				t.Fatal(got)
			}
			for _, o := range []int{qProducerLock, qConsumerLock} {
				if v := atomic.LoadUint32(q.word(o)); v != 0 {
					t.Errorf("%s is %d, want 0", lockName(o), v)
				}
			}
		})
	}
}

// SPEC §5: hot paths make no heap allocation in Go.
func TestQueueHotPathsDoNotAllocate(t *testing.T) {
	for _, l := range qLayouts {
		_, q := qCreate(t, l, 4, 64)
		msg, dst := make([]byte, 64), make([]byte, 64)
		checks := map[string]func(){
			"Enqueue+Dequeue": func() { q.Enqueue(msg); q.Dequeue(dst) },
			"Peek":            func() { q.Peek(dst) },
			"Len":             func() { q.Len() },
		}
		for op, f := range checks {
			if n := testing.AllocsPerRun(100, f); n != 0 {
				t.Errorf("%s %s: %v allocations per call, want 0", l, op, n)
			}
		}
	}
}

// ---- concurrency: many producers and consumers, each with its own mapping ----

func TestQueueManyProducersManyConsumers(t *testing.T) {
	const producers, consumers, perProducer = 4, 4, 5000 // 20 000 messages
	for _, capacity := range []int{64, 2} {
		t.Run("capacity="+strconv.Itoa(capacity), func(t *testing.T) {
			qMPMC(t, LayoutV2, capacity, producers, consumers, perProducer)
		})
	}
}

// Layout v1 has no locks: one producer and one consumer only.
func TestQueueV1OneProducerOneConsumer(t *testing.T) {
	qMPMC(t, LayoutV1, 8, 1, 1, 10000)
}

func qMPMC(t *testing.T, l Layout, capacity, producers, consumers, perProducer int) {
	name := qName(t)
	qo := QueueOptions{Layout: l, Capacity: capacity, MaxMessageSize: 24, LockTimeout: 30 * time.Second}
	creator := qOpen(t, name, OpenOptions{Create: true}, qo)
	total := producers * perProducer

	var consumed atomic.Int64
	var stop atomic.Bool // set when the test gives up, so no goroutine outlives it
	t.Cleanup(func() { stop.Store(true) })
	var wg sync.WaitGroup
	errs := make(chan error, producers+consumers)
	got := make([][]string, consumers)

	for p := 0; p < producers; p++ {
		q := qOpen(t, name, OpenOptions{}, QueueOptions{Layout: l, LockTimeout: qo.LockTimeout}) // its own mapping
		wg.Add(1)
		go func(p int, q *Queue) {
			defer wg.Done()
			for i := 0; i < perProducer; i++ {
				msg := []byte(fmt.Sprintf("p%d-%d", p, i))
				for {
					ok, err := q.Enqueue(msg)
					if err != nil {
						errs <- err
						stop.Store(true)
						return
					}
					if ok {
						break
					}
					if stop.Load() {
						return
					}
					runtime.Gosched()
				}
			}
		}(p, q)
	}
	for c := 0; c < consumers; c++ {
		q := qOpen(t, name, OpenOptions{}, QueueOptions{Layout: l, LockTimeout: qo.LockTimeout})
		wg.Add(1)
		go func(c int, q *Queue) {
			defer wg.Done()
			buf := make([]byte, q.MaxMessageSize())
			for consumed.Load() < int64(total) && !stop.Load() {
				n, ok, err := q.Dequeue(buf)
				if err != nil {
					errs <- err
					stop.Store(true)
					return
				}
				if !ok {
					runtime.Gosched()
					continue
				}
				if n > len(buf) {
					errs <- fmt.Errorf("message of %d bytes", n)
					return
				}
				got[c] = append(got[c], string(buf[:n]))
				consumed.Add(1)
			}
		}(c, q)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		stop.Store(true)
		t.Fatalf("stuck: %d of %d messages consumed", consumed.Load(), total)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	seen := make(map[string]int, total)
	for c, msgs := range got {
		last := make([]int, producers) // per producer, the last sequence number this consumer saw
		for i := range last {
			last[i] = -1
		}
		for _, m := range msgs {
			seen[m]++
			var p, i int
			if _, err := fmt.Sscanf(m, "p%d-%d", &p, &i); err != nil || p < 0 || p >= producers {
				t.Fatalf("consumer %d got a message that was never sent: %q", c, m)
			}
			if i <= last[p] {
				t.Fatalf("consumer %d got %q after p%d-%d: out of order", c, m, p, last[p])
			}
			last[p] = i
		}
	}
	if len(seen) != total {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), total)
	}
	for m, n := range seen {
		if n != 1 {
			t.Fatalf("message %q delivered %d times", m, n)
		}
	}
	if n := qLen(t, creator); n != 0 {
		t.Fatalf("Len %d at the end, want 0", n)
	}
	for _, o := range []int{qProducerLock, qConsumerLock} {
		if l == LayoutV2 && atomic.LoadUint32(creator.word(o)) != 0 {
			t.Fatalf("%s left held", lockName(o))
		}
	}
}

// Real processes: children (this test binary, re-run) produce, this process consumes.
func TestQueueCrossProcess(t *testing.T) {
	if os.Getenv("GOSHM_QUEUE_CHILD") != "" {
		t.Skip("child process")
	}
	const children, perChild = 3, 2000
	name := qName(t)
	q := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 16, MaxMessageSize: 16, LockTimeout: 30 * time.Second})
	var cmds []*exec.Cmd
	var waits []chan struct{}
	for c := 0; c < children; c++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestQueueChildProducer$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GOSHM_QUEUE_CHILD="+name, "GOSHM_QUEUE_CHILD_ID="+strconv.Itoa(c),
			"GOSHM_QUEUE_CHILD_N="+strconv.Itoa(perChild))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		waits = append(waits, exited)
		t.Cleanup(func() {
			select {
			case <-exited:
			default:
				cmd.Process.Kill() // only the child this test started, by its pid
				<-exited
			}
			if t.Failed() {
				t.Logf("child output:\n%s", out.String())
			}
		})
	}
	seen := map[string]bool{}
	buf := make([]byte, 16)
	deadline := time.Now().Add(2 * time.Minute)
	for len(seen) < children*perChild {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d messages arrived", len(seen), children*perChild)
		}
		n, ok, err := q.Dequeue(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			time.Sleep(10 * time.Microsecond)
			continue
		}
		m := string(buf[:n])
		if seen[m] {
			t.Fatalf("%q delivered twice", m)
		}
		seen[m] = true
	}
	for i, cmd := range cmds {
		<-waits[i]
		if !cmd.ProcessState.Success() {
			t.Fatalf("child %d: %v", i, cmd.ProcessState)
		}
	}
	qWantEmpty(t, q)
}

func TestQueueChildProducer(t *testing.T) {
	name := os.Getenv("GOSHM_QUEUE_CHILD")
	if name == "" {
		t.Skip("run by TestQueueCrossProcess")
	}
	id := os.Getenv("GOSHM_QUEUE_CHILD_ID")
	n, _ := strconv.Atoi(os.Getenv("GOSHM_QUEUE_CHILD_N"))
	q, err := OpenQueue(name, OpenOptions{}, QueueOptions{Layout: LayoutV2, LockTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	deadline := time.Now().Add(2 * time.Minute) // never outlive a parent that gave up
	for i := 0; i < n; i++ {
		msg := []byte("c" + id + "-" + strconv.Itoa(i))
		for time.Now().Before(deadline) {
			ok, err := q.Enqueue(msg)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// ---- fuzzing ----

// FuzzQueueOpenDequeue writes arbitrary bytes as a queue segment, opens it (without creating) and
// uses it: no panic may escape, every error is a *Error, and no message is longer than
// maxMessageSize.
func FuzzQueueOpenDequeue(f *testing.F) {
	vs := qVectors(f)
	for _, v := range vs {
		f.Add(v.layout == LayoutV1, v.image)
	}
	f.Add(false, []byte{})
	f.Add(true, make([]byte, 19))
	f.Fuzz(func(t *testing.T, v1 bool, img []byte) {
		if len(img) > 1<<20 {
			return
		}
		l := LayoutV2
		if v1 {
			l = LayoutV1
		}
		name := fmt.Sprintf("goshm-qf-%d-%d", os.Getpid(), qSeq.Add(1))
		path := "/dev/shm/" + name
		if err := os.WriteFile(path, img, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)

		timedOut := 0
		isErr := func(what string, err error) bool {
			if err == nil {
				return false
			}
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("%s: error %T %v is not a *goshm.Error", what, err, err)
			}
			if e.Kind == KindLockTimeout {
				timedOut++
			}
			return true
		}
		q, err := OpenQueue(name, OpenOptions{}, QueueOptions{Layout: l, LockTimeout: time.Millisecond})
		if isErr("OpenQueue", err) {
			return
		}
		defer q.Close()
		mms := q.MaxMessageSize()
		if q.Capacity() < 1 || mms < 1 || queueHeaderSize(l)+q.Capacity()*(4+mms) > len(img) {
			t.Fatalf("opened with capacity %d, maxMessageSize %d over %d bytes", q.Capacity(), mms, len(img))
		}
		dst := make([]byte, mms)
		// A lock word left non-zero by the input times out every call (1 ms each): a few suffice.
		for i := 0; i < 16 && timedOut < 2; i++ {
			if n, err := q.Len(); !isErr("Len", err) && (n < 0 || n > q.Capacity()) {
				t.Fatalf("Len %d with capacity %d", n, q.Capacity())
			}
			d := dst
			if i%3 == 1 {
				d = dst[:mms/2]
			}
			n, _, err := q.Peek(d)
			if !isErr("Peek", err) && n > mms {
				t.Fatalf("Peek n %d > maxMessageSize %d", n, mms)
			}
			n, _, err = q.Dequeue(d)
			if !isErr("Dequeue", err) && n > mms {
				t.Fatalf("Dequeue n %d > maxMessageSize %d", n, mms)
			}
			if i%4 == 3 {
				_, err := q.Enqueue(img[:min(len(img), mms)])
				isErr("Enqueue", err)
			}
		}
	})
}
