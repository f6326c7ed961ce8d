// Tests ReadWhole: of a payload that fits, only whole elements are copied (issue 11 item 11).

//go:build linux

package goshm_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

func TestReadWholeCopiesWholeUnits(t *testing.T) {
	for _, l := range allLayouts {
		for _, unit := range []int{1, 2, 4, 8} {
			for _, size := range []int{0, 3, 7, 9, 15} {
				t.Run(fmt.Sprintf("%s-u%d-n%d", l, unit, size), func(t *testing.T) {
					name := segName(t, "")
					s := create(t, name, 256, l)
					p := bytes.Repeat([]byte{'x'}, size)
					mustWrite(t, s, goshm.TypeBytes, p)
					dst := bytes.Repeat([]byte{'.'}, 24)
					n, _, err := s.ReadWhole(0, dst, unit)
					if err != nil {
						t.Fatal(err)
					}
					if n != size {
						t.Fatalf("n = %d, want the payload's %d bytes", n, size)
					}
					whole := size - size%unit
					want := append(bytes.Repeat([]byte{'x'}, whole), bytes.Repeat([]byte{'.'}, 24-whole)...)
					if !bytes.Equal(dst, want) {
						t.Fatalf("dst = %q, want %q", dst, want)
					}
				})
			}
		}
	}
}
