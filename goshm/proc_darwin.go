// Whether a lock holder can still release its lock, asked of macOS.

//go:build darwin

package goshm

import "golang.org/x/sys/unix"

// pidAlive asks kill(pid, 0): EPERM means the process exists but is not ours. A zombie (killed,
// not yet reaped) still answers, so its lock only times out, which is safe. pid_max is 99999.
func (osImpl) pidAlive(pid uint32) bool {
	if pid == 0 || pid > 1<<31-1 {
		return false
	}
	err := unix.Kill(int(pid), 0)
	return err == nil || err == unix.EPERM
}
