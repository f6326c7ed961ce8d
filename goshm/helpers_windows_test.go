//go:build windows

package goshm_test

import (
	"os"
	"path/filepath"
	"strings"
)

// shmPath is the file of a persistent segment (the kind a segment opened without Unlink is):
// %PROGRAMDATA%\shared_memory\lsm_<name>.shm, with \ / : * ? " < > | and bytes below 32 as '_'.
// Non-persistent segments are named mappings, in no file.
func shmPath(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c < 32 || strings.IndexByte(`\/:*?"<>|`, c) >= 0 {
			b[i] = '_'
		}
	}
	return filepath.Join(os.Getenv("PROGRAMDATA"), "shared_memory", "lsm_"+string(b)+".shm")
}

const segmentFiles = true
