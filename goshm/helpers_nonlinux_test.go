// The helpers the portable tests share, where there is no /dev/shm to reach behind the engine
// (stream_test.go has Linux's).

//go:build !linux

package goshm_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// segName returns a segment name unique to this process and test, and removes the segment when
// the test ends, whatever happened.
func segName(t testing.TB, suffix string) string {
	t.Helper()
	n := fmt.Sprintf("gt%d-%s", os.Getpid(), t.Name())
	if suffix != "" {
		n += "-" + suffix
	}
	n = strings.ReplaceAll(n, "/", "_")
	if len(n) > goshm.MaxNameLen {
		t.Fatalf("segment name %q is longer than %d bytes; shorten the test name", n, goshm.MaxNameLen)
	}
	t.Cleanup(func() { goshm.Unlink(n) })
	return n
}
