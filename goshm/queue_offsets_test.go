package goshm_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// The header offsets exported for the C fast path (goshm.h LSM_QUEUE_*, checked against these by
// cabi at compile time) read the C++ library's own queue images right: a queue of 4 slots of 16
// bytes holding three messages, in both layouts; and only v2 has its locks there.
func TestQueueOffsetsReadTheCppImages(t *testing.T) {
	for _, file := range []string{"libsharedmemory-2.0.0/queue-three.bin", "libsharedmemory-1.10.0/queue-three.bin"} {
		img, err := os.ReadFile(filepath.Join("..", "test", "fixtures", "vectors", file))
		if err != nil {
			t.Fatal(err)
		}
		at := func(off int) uint32 { return binary.LittleEndian.Uint32(img[off:]) }
		got := [5]uint32{at(goshm.QueueWriteIndex), at(goshm.QueueReadIndex), at(goshm.QueueCapacity), at(goshm.QueueCount), at(goshm.QueueMaxMessage)}
		if want := [5]uint32{3, 0, 4, 3, 16}; got != want {
			t.Errorf("%s: writeIndex, readIndex, capacity, count, maxMessageSize = %v, want %v", file, got, want)
		}
		header := goshm.QueueHeaderV2
		if file[:22] == "libsharedmemory-1.10.0" {
			header = goshm.QueueHeaderV1
		}
		if goshm.QueueProducerLock+4 > goshm.QueueHeaderV2 || goshm.QueueConsumerLock+4 != goshm.QueueHeaderV2 || goshm.QueueProducerLock != goshm.QueueHeaderV1 {
			t.Errorf("locks at %d and %d do not end the v2 header (%d) where v1's slots begin (%d)",
				goshm.QueueProducerLock, goshm.QueueConsumerLock, goshm.QueueHeaderV2, goshm.QueueHeaderV1)
		}
		if n := at(header); n != 3 || string(img[header+goshm.QueueSlotHead:header+goshm.QueueSlotHead+3]) != "one" {
			t.Errorf("%s: the first slot at %d holds %d bytes %q, want 3 bytes \"one\"", file, header, n, img[header+goshm.QueueSlotHead:header+goshm.QueueSlotHead+3])
		}
	}
}
