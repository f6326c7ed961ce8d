//go:build darwin

package goshm_test

// macOS keeps POSIX shared memory in no file system: the tests that read or plant a segment's
// bytes behind the engine skip (needFiles).
func shmPath(name string) string { return "" }

const segmentFiles = false
