//go:build linux

package goshm_test

// shmDir is where Linux keeps POSIX shared memory: the segment "x" is the file /dev/shm/x. The
// tests reach behind the engine through it to plant images, truncate segments and check modes.
const shmDir = "/dev/shm/"

func shmPath(name string) string { return shmDir + name }

const segmentFiles = true
