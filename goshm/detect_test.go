// Tests detect.go: what the images of the C++ library look like, what opening refuses as another
// kind or layout, and what it must never refuse (issue 11 item 7).

//go:build linux

package goshm_test

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// queueVector is the part of a queue entry of the manifest that detection reports.
type queueVector struct {
	File           string `json:"file"`
	Capacity       uint32 `json:"capacity"`
	MaxMessageSize uint32 `json:"maxMessageSize"`
}

func vectorImage(t *testing.T, file string) []byte {
	t.Helper()
	img, err := os.ReadFile(filepath.Join(vectorsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Every image the C++ library wrote is detected as what it is, where its bytes can tell (v0's float
// payloads sit where v2 has ack and size, and an empty v1 string's size field where v2 has its
// padding, so those images read as v2 streams), and opens with its own layout.
func TestDetectVectors(t *testing.T) {
	for _, v := range loadManifest(t).Vectors {
		layout := vectorLayouts[strings.Split(v.File, "/")[0]]
		img := vectorImage(t, v.File)
		d := goshm.Detect(img, int64(len(img)))
		isQueue := strings.Contains(v.File, "/queue-")
		t.Run(strings.ReplaceAll(v.File, "/", "_"), func(t *testing.T) {
			switch {
			case isQueue:
				if d.Shape != goshm.ShapeQueue || d.Layout != layout {
					t.Fatalf("detected %s, want a queue of layout %s", d, layout)
				}
			case strings.HasSuffix(v.File, "-fresh.bin"):
				if d.Shape != goshm.ShapeBlank {
					t.Fatalf("detected %s, want blank", d)
				}
			case layout == goshm.LayoutV1 && img[1] <= 1 && img[2] <= 1 && img[3] == 0:
				// A v1 size field below 2 (stream-empty-string.bin) is what v2's padding holds:
				// either layout, and v2 is tried first.
				if d.Shape != goshm.ShapeStream {
					t.Fatalf("detected %s, want a stream", d)
				}
			case layout == goshm.LayoutV2 || layout == goshm.LayoutV1:
				if d.Shape != goshm.ShapeStream || d.Layout != layout {
					t.Fatalf("detected %s, want a stream of layout %s", d, layout)
				}
			case d.Shape != goshm.ShapeStream:
				t.Fatalf("detected %s, want a stream", d)
			}
			name := segName(t, "")
			plant(t, name, img)
			if isQueue {
				q, err := goshm.OpenQueue(name, goshm.OpenOptions{}, goshm.QueueOptions{Layout: layout})
				if err != nil {
					t.Fatalf("open as a queue of layout %s: %v", layout, err)
				}
				q.Close()
				return
			}
			attach(t, name, goshm.StreamOptions{Layout: layout})
		})
	}
	var queues struct {
		Vectors []queueVector `json:"vectors"`
	}
	readJSON(t, filepath.Join(vectorsDir, "manifest.json"), &queues)
	for _, v := range queues.Vectors {
		if v.Capacity == 0 {
			continue
		}
		img := vectorImage(t, v.File)
		d := goshm.Detect(img, int64(len(img)))
		if d.Capacity != v.Capacity || d.MaxMessageSize != v.MaxMessageSize {
			t.Errorf("%s: detected %s, want capacity %d and maxMessageSize %d", v.File, d, v.Capacity, v.MaxMessageSize)
		}
	}
}

// The two cases, in the engine: a v2 stream over a v1 segment and a stream over a queue are
// refused with a KindLayout error that names what the segment looks like, and nothing changes.
func TestOpenRefusesAnotherShape(t *testing.T) {
	for _, c := range []struct {
		file   string
		layout goshm.Layout
		want   string
	}{
		{"libsharedmemory-1.10.0/stream-string.bin", goshm.LayoutV2, "looks like a stream of layout v1 (or v0) holding a string of 6 bytes, not a stream of layout v2"},
		{"libsharedmemory-1.10.0/stream-float64.bin", goshm.LayoutV2, "looks like a stream of layout v1 holding a Float64Array of 24 bytes, not a stream of layout v2"},
		{"libsharedmemory-2.0.0/queue-three.bin", goshm.LayoutV2, "looks like a queue (layout v2, capacity 4, maxMessageSize 16), not a stream of layout v2"},
		{"libsharedmemory-2.0.0/queue-wrapped.bin", goshm.LayoutV1, "looks like a queue (layout v2, capacity 3, maxMessageSize 8), not a stream of layout v1"},
		{"libsharedmemory-1.10.0/queue-wrapped.bin", goshm.LayoutV0, "looks like a queue (layout v1, capacity 3, maxMessageSize 8), not a stream of layout v0"},
	} {
		t.Run(strings.ReplaceAll(c.file, "/", "_")+"_"+c.layout.String(), func(t *testing.T) {
			img := vectorImage(t, c.file)
			for _, create := range []bool{false, true} {
				name := segName(t, "")
				plant(t, name, img)
				o := goshm.OpenOptions{Unlink: true}
				if create {
					o.Create, o.Size = true, 4096 // would grow it, were it not refused first
				}
				_, err := goshm.OpenStream(name, o, goshm.StreamOptions{Layout: c.layout, Reset: true})
				e := wantKind(t, err, goshm.KindLayout)
				if !strings.Contains(e.Msg, c.want) {
					t.Errorf("create %v: message %q does not say %q", create, e.Msg, c.want)
				}
				if after := fileBytes(t, name); string(after) != string(img) {
					t.Errorf("create %v: the refused open changed (or removed) the segment", create)
				}
			}
		})
	}
}

// A v1 stream's payload starts inside a queue's header: one whose stale payload bytes give the
// segment a queue's exact shape is still a v1 (and v0) stream, and opens as one.
func TestDetectNeverRefusesAStreamForItsPayload(t *testing.T) {
	img := make([]byte, 1320)
	img[0] = goshm.TypeString
	binary.LittleEndian.PutUint32(img[1:], 1) // a 1-byte string, "\x00"
	binary.LittleEndian.PutUint32(img[8:], 260)
	binary.LittleEndian.PutUint32(img[12:], 258)
	binary.LittleEndian.PutUint32(img[16:], 1)
	d := goshm.Detect(img, int64(len(img)))
	if d.Shape != goshm.ShapeQueue || d.Layout != goshm.LayoutV1 || d.Capacity != 260 {
		t.Fatalf("the image is meant to have a v1 queue's shape; detected %s", d)
	}
	for _, l := range []goshm.Layout{goshm.LayoutV1, goshm.LayoutV0} {
		name := segName(t, l.String())
		plant(t, name, img)
		s := attach(t, name, goshm.StreamOptions{Layout: l})
		buf := make([]byte, 8)
		if n, _, err := s.Read(goshm.TypeString, buf); err != nil || n != 1 || buf[0] != 0 {
			t.Errorf("layout %s: read %d bytes, %v", l, n, err)
		}
	}
}

// Blank segments, and v2 headers with watcher hints set, are never refused; padding no v2 writer
// sets (byte 3) under a v1-shaped header is.
func TestDetectPadding(t *testing.T) {
	for _, size := range []int{5, 20, 64} {
		img := make([]byte, size)
		if d := goshm.Detect(img, int64(size)); d.Shape != goshm.ShapeBlank {
			t.Errorf("%d zero bytes: detected %s", size, d)
		}
	}
	img := make([]byte, 64)
	img[0], img[1], img[2] = goshm.FlagChanged|goshm.TypeString, 1, 1 // both hints set
	binary.LittleEndian.PutUint32(img[goshm.V2Revision:], 7)
	binary.LittleEndian.PutUint32(img[goshm.V2Size:], 3)
	if d := goshm.Detect(img, 64); d.Shape != goshm.ShapeStream || d.Layout != goshm.LayoutV2 {
		t.Errorf("a v2 header with its hints set: detected %s", d)
	}
	name := segName(t, "hints")
	plant(t, name, img)
	attach(t, name, goshm.StreamOptions{Layout: goshm.LayoutV2})

	img[3] = 1 // read as v1, bytes 1..4 are a size of 0x010101: past the end, so no stream at all
	if d := goshm.Detect(img, 64); d.Layout == goshm.LayoutV2 && d.Shape == goshm.ShapeStream {
		t.Errorf("byte 3 set: detected %s, which no v2 writer leaves", d)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
