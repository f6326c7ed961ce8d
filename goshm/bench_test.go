package goshm

// Benchmarks of the engine's hot paths (Stream.Write, Stream.Read, Stream.Flags) without Node,
// cgo or N-API in the way: `go test -bench . -benchmem ./goshm/`. Each must show 0 allocs/op;
// TestHotPathsDoNotAllocate holds that line in plain `go test` as well. BENCHMARKS.md compares
// these figures with the JavaScript ones to tell the engine's share of an operation from the
// cost of crossing into it.

import (
	"fmt"
	"os"
	"testing"
)

// benchPayloads are the payload sizes of the JavaScript benchmark (bench/cases.js), and one just
// under 1 MiB: from 1 MiB up, Go's copy on amd64 switches to non-temporal stores, which bypass the
// cache (runtime/memmove_amd64.s), and the pair shows what that costs.
var benchPayloads = []struct {
	name string
	size int
}{
	{"64B", 64},
	{"4KiB", 4 << 10},
	{"1MiB-64B", 1<<20 - 64},
	{"1MiB", 1 << 20},
}

var benchLayouts = []Layout{LayoutV2, LayoutV1}

// openBenchStream creates a non-persistent segment big enough for the largest payload, with a
// name unique to this process and test, removed when the test ends.
func openBenchStream(tb testing.TB, layout Layout) *Stream {
	tb.Helper()
	name := fmt.Sprintf("goshm-bench-%d-%s-%s", os.Getpid(), layout, sanitize(tb.Name()))
	s, err := OpenStream(name, OpenOptions{Size: 1<<20 + 64, Create: true, Unlink: true},
		StreamOptions{Layout: layout})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// payloadOf returns n bytes of non-zero data. A fresh zeroed slice would be read from the kernel's
// shared zero page, which is always in cache and makes large copies look faster than they are.
func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

// sanitize makes a sub-test name usable in a segment name ("/" is not allowed there).
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '/' {
			b[i] = '.'
		}
	}
	return string(b)
}

func BenchmarkStreamWrite(b *testing.B) {
	for _, layout := range benchLayouts {
		for _, p := range benchPayloads {
			b.Run(fmt.Sprintf("%s/%s", layout, p.name), func(b *testing.B) {
				s := openBenchStream(b, layout)
				payload := payloadOf(p.size)
				b.SetBytes(int64(p.size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := s.Write(TypeString, payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkStreamRead(b *testing.B) {
	for _, layout := range benchLayouts {
		for _, p := range benchPayloads {
			b.Run(fmt.Sprintf("%s/%s", layout, p.name), func(b *testing.B) {
				s := openBenchStream(b, layout)
				if err := s.Write(TypeString, payloadOf(p.size)); err != nil {
					b.Fatal(err)
				}
				dst := payloadOf(p.size) // written once, so its pages are real
				b.SetBytes(int64(p.size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n, _, err := s.Read(TypeString, dst)
					if err != nil || n != p.size {
						b.Fatalf("Read = %d, %v; want %d bytes", n, err, p.size)
					}
				}
			})
		}
	}
}

func BenchmarkStreamFlags(b *testing.B) {
	for _, layout := range benchLayouts {
		b.Run(layout.String(), func(b *testing.B) {
			s := openBenchStream(b, layout)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Flags(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// SPEC §5: hot paths make no heap allocation in Go.
func TestHotPathsDoNotAllocate(t *testing.T) {
	for _, layout := range benchLayouts {
		s := openBenchStream(t, layout)
		for _, p := range benchPayloads {
			payload := payloadOf(p.size)
			dst := make([]byte, p.size)
			checks := map[string]func(){
				"Write": func() { s.Write(TypeString, payload) },
				"Read":  func() { s.Read(TypeString, dst) },
				"Flags": func() { s.Flags() },
			}
			for op, f := range checks {
				if n := testing.AllocsPerRun(100, f); n != 0 {
					t.Errorf("%s %s of %s: %v allocations per call, want 0", layout, op, p.name, n)
				}
			}
		}
	}
}
