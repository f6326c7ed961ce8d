// What every Unix does alike for the engine: releasing a mapping and naming an errno.

//go:build unix

package goshm

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func (osImpl) unmap(mem []byte) error {
	if mem == nil {
		return nil
	}
	if err := unix.Munmap(mem); err != nil {
		return osError("", "munmap", err)
	}
	return nil
}

func (osImpl) errnoName(errno syscall.Errno) string { return unix.ErrnoName(errno) }
