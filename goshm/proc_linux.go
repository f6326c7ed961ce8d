// Whether a lock holder can still release its lock, asked of Linux: kill(2) and /proc.

//go:build linux

package goshm

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pidAlive reports whether a process with this id exists and is not a zombie: a holder killed
// but not yet reaped by its parent still answers kill(pid, 0), yet will never release a lock.
// (EPERM means it exists but is not ours.)
func (osImpl) pidAlive(pid uint32) bool {
	if pid == 0 || pid > 1<<22 {
		return false
	}
	if err := unix.Kill(int(pid), 0); err != nil && err != unix.EPERM {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return true // no /proc to ask: trust kill
	}
	// The state is the first field after the command name, which is in parentheses and may
	// itself contain ") ".
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		switch stat[i+2] {
		case 'Z', 'X', 'x':
			return false
		}
	}
	return true
}
