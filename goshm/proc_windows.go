// Whether a lock holder can still release its lock, asked of Windows, and the names of Windows
// error codes.

//go:build windows

package goshm

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// stillActive is STILL_ACTIVE, the exit code GetExitCodeProcess reports for a running process.
const stillActive = 259

// pidAlive opens the process only to ask for its exit code. A process object outlives its
// process while someone holds a handle to it, so OpenProcess alone could find a dead holder; the
// exit code tells. A process that is not ours to open (ERROR_ACCESS_DENIED) exists. A process that
// exited with code 259 looks alive: its lock then only times out, which is safe.
func (osImpl) pidAlive(pid uint32) bool {
	if pid == 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return err == windows.ERROR_ACCESS_DENIED
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true // cannot tell: keep the holder alive
	}
	return code == stillActive
}

// errnoName names the Windows error codes the engine meets after the errno they stand for
// (winname.go), and the errnos Go's syscall package invents on Windows (syscall.ENOMEM, which
// the mapping budget reports) after themselves.
func (osImpl) errnoName(errno syscall.Errno) string {
	if n, ok := windowsErrnoNames[uint32(errno)]; ok {
		return n
	}
	for _, e := range []struct {
		errno syscall.Errno
		name  string
	}{
		{syscall.ENOMEM, "ENOMEM"}, {syscall.EMFILE, "EMFILE"}, {syscall.EPERM, "EPERM"},
		{syscall.ENOENT, "ENOENT"}, {syscall.EEXIST, "EEXIST"}, {syscall.EINVAL, "EINVAL"},
		{syscall.EACCES, "EACCES"}, {syscall.EAGAIN, "EAGAIN"}, {syscall.ENOSPC, "ENOSPC"},
	} {
		if errno == e.errno {
			return e.name
		}
	}
	return ""
}
