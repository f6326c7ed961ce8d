// The map table budget (segment.go, MappingBudget): an open beyond it is ENOMEM from mmap and
// changes nothing; closing gives the room back.
package goshm_test

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

func TestMappingBudget(t *testing.T) {
	if goshm.MappingBudget < 1000 {
		t.Fatalf("MappingBudget is %d; expected half of vm.max_map_count", goshm.MappingBudget)
	}
	saved := goshm.MappingBudget
	defer func() { goshm.MappingBudget = saved }()
	// Room for exactly three more mappings than this test process holds now.
	goshm.MappingBudget = goshm.MappedSegments() + 3
	var segs []*goshm.Segment
	defer func() {
		for _, s := range segs {
			s.Close()
		}
	}()
	for i := 0; i < 3; i++ {
		s, err := goshm.Open(segName(t, fmt.Sprint(i)), goshm.OpenOptions{Size: 4096, Create: true, Unlink: true})
		if err != nil {
			t.Fatalf("open %d within the budget: %v", i, err)
		}
		segs = append(segs, s)
	}
	over := segName(t, "over")
	_, err := goshm.Open(over, goshm.OpenOptions{Size: 4096, Create: true, Unlink: true})
	var e *goshm.Error
	if !errors.As(err, &e) || e.Kind != goshm.KindOS || e.Errno != syscall.ENOMEM || e.Syscall != "mmap" {
		t.Fatalf("open beyond the budget: got %v, want KindOS ENOMEM from mmap", err)
	}
	if err := goshm.Unlink(over); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused open left the segment behind (unlink: %v)", err)
	}
	segs[0].Close()
	segs[0].Close() // twice gives back one mapping only
	s, err := goshm.Open(over, goshm.OpenOptions{Size: 4096, Create: true, Unlink: true})
	if err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	segs = append(segs, s)
	if _, err := goshm.Open(segName(t, "over2"), goshm.OpenOptions{Size: 4096, Create: true, Unlink: true}); err == nil {
		t.Fatal("a second Close of one segment gave back two mappings")
	}
}
