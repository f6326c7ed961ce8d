//go:build darwin

package goshm_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// XNU copies a shared memory object's name, with the "/" the engine (like the C++ library) puts in
// front, into PSHMNAMLEN + 1 bytes including its NUL (bsd/kern/posix_shm.c, pshm_get_name); a
// longer one is ENAMETOOLONG. So a caller's name has PSHMNAMLEN bytes minus the "/".
const pshmNameLen = 31 // <sys/posix_shm.h>

// Compiled, so checked by `npm run test:vet` from Linux: an index out of [0, 1) does not compile
// unless MaxNameLen is exactly what the kernel takes.
var _ = [1]struct{}{}[len("/")+goshm.MaxNameLen+len("\x00")-(pshmNameLen+1)]

// The longest name is accepted by macOS itself, one more byte is refused before it reaches it.
// Not yet run on a Mac.
func TestNameLimitDarwin(t *testing.T) {
	prefix := fmt.Sprintf("gn%d-", os.Getpid())
	longest := prefix + strings.Repeat("n", goshm.MaxNameLen-len(prefix))
	t.Cleanup(func() { goshm.Unlink(longest) })
	seg, err := goshm.Open(longest, goshm.OpenOptions{Size: 64, Create: true, Unlink: true})
	if err != nil {
		t.Fatalf("a %d-byte name was refused: %v", len(longest), err)
	}
	seg.Close()
	_, err = goshm.Open(longest+"n", goshm.OpenOptions{Size: 64, Create: true})
	wantKind(t, err, goshm.KindArg)
}
