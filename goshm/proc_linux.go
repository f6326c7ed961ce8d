// Whether a lock holder can still release its lock, asked of Linux: kill(2) and /proc for a
// process in our PID namespace, open-file-description locks on the segment file for any process.

//go:build linux

package goshm

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

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

// presenceBase is where the presence bytes start in the segment file's lock space: far beyond any
// segment (sizes are u32), so a presence lock never covers a byte anyone reads or writes. The byte
// of tag t is presenceBase+t.
const presenceBase = 1 << 40

// announce opens the segment file a second time (read-only) and holds a shared open-file-
// description lock (F_OFD_SETLK) on the byte of tag. The kernel keeps the lock exactly as long as
// the descriptor is open, so it disappears when this process dies, however it dies, and any
// process that opens the same file sees it, in whatever PID namespace. mem is our mapping: the
// name must still be the file we mapped (someone may have replaced it since), or the presence
// would be announced on a file our peers do not use. unsupported reports an OS or file system
// without OFD locks, where nobody can announce or ask.
func (osImpl) announce(name string, mem []byte, tag uint32) (fd int, unsupported bool, err error) {
	if held := presenceHeld.Add(1); held > presenceBudget {
		presenceHeld.Add(-1)
		return -1, false, &Error{Kind: KindOS, Segment: name, Syscall: "open", Errno: unix.EMFILE,
			Msg: fmt.Sprintf("EMFILE: shared memory segment %q: this process already holds %d writable v2 streams and queues, "+
				"each with one descriptor, the budget of half its limit on open files (ulimit -n); close some, or raise the limit",
				name, presenceBudget)}
	}
	defer func() {
		if err != nil || unsupported {
			presenceHeld.Add(-1)
		}
	}()
	fd, err = unix.Open(shmDir+name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, false, osError(name, "open", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, false, osError(name, "fstat", err)
	}
	if len(mem) > 0 && !mapsFile(uintptr(unsafe.Pointer(&mem[0])), st) {
		unix.Close(fd)
		// The name now leads to another file than the one we mapped: as if it had been removed.
		return -1, false, osError(name, "open", unix.ENOENT)
	}
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: 0, Start: presenceBase + int64(tag), Len: 1}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		unix.Close(fd)
		if err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP || err == unix.ENOLCK {
			return -1, true, nil
		}
		return -1, false, osError(name, "fcntl", err)
	}
	return fd, false, nil
}

// announced reports whether a descriptor other than fd holds the presence lock of tag on fd's
// file: some live process announced that tag. known is false when the kernel did not answer.
func (osImpl) announced(fd int, tag uint32) (held, known bool) {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: presenceBase + int64(tag), Len: 1}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_GETLK, &lk); err != nil {
		return false, false
	}
	return lk.Type != unix.F_UNLCK, true
}

// withdraw closes a descriptor made by announce, which drops its presence lock.
func (osImpl) withdraw(fd int) {
	unix.Close(fd)
	presenceHeld.Add(-1)
}

// Presence descriptors are budgeted like mappings (segment.go): at most half the process's limit
// on open files (read once, after Node and the Go runtime have raised the soft limit to the hard
// one), so that thousands of writers leave the rest of the process (V8, libuv, workers, sockets)
// descriptors to work with: the open beyond it is EMFILE from that open, not a failure elsewhere.
var (
	presenceBudget = func() int64 {
		var r unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &r) != nil || r.Cur == unix.RLIM_INFINITY || r.Cur/2 > 1<<30 {
			return 1 << 30
		}
		return int64(r.Cur / 2)
	}()
	presenceHeld atomic.Int64
)

// procmapQuery is struct procmap_query of <linux/fs.h> (Linux 6.11): one mapping's file, asked of
// /proc/self/maps by ioctl instead of by reading the whole text (~150 us in a Node process).
type procmapQuery struct {
	size, queryFlags, queryAddr                        uint64
	vmaStart, vmaEnd, vmaFlags, vmaPageSize, vmaOffset uint64
	inode                                              uint64
	devMajor, devMinor, vmaNameSize, buildIDSize       uint32
	vmaNameAddr, buildIDAddr                           uint64
}

// procmapQueryIoctl is PROCMAP_QUERY, _IOWR('f', 17, struct procmap_query).
const procmapQueryIoctl = 3<<30 | uintptr(unsafe.Sizeof(procmapQuery{}))<<16 | 'f'<<8 | 17

// mapsFile reports whether the mapping at addr is of the file st describes, by device and inode:
// from PROCMAP_QUERY where the kernel has it, else from the text of /proc/self/maps. Without /proc
// it cannot tell and says yes.
func mapsFile(addr uintptr, st unix.Stat_t) bool {
	// A plain descriptor: os.Open would register it with the runtime's poller for one ioctl.
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return true
	}
	defer unix.Close(fd)
	q := procmapQuery{queryAddr: uint64(addr)}
	q.size = uint64(unsafe.Sizeof(q))
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), procmapQueryIoctl, uintptr(unsafe.Pointer(&q))); errno == 0 {
		return q.inode == st.Ino && q.devMajor == unix.Major(uint64(st.Dev)) && q.devMinor == unix.Minor(uint64(st.Dev))
	}
	return mapsText(addr, st)
}

// mapsText is mapsFile from the text of /proc/self/maps, for kernels before 6.11.
func mapsText(addr uintptr, st unix.Stat_t) bool {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return true
	}
	dev := fmt.Sprintf("%02x:%02x", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)))
	for _, line := range bytes.Split(maps, []byte{'\n'}) {
		// start-end perms offset dev inode path
		f := bytes.Fields(line)
		if len(f) < 5 {
			continue
		}
		dash := bytes.IndexByte(f[0], '-')
		if dash < 0 {
			continue
		}
		start, err := strconv.ParseUint(string(f[0][:dash]), 16, 64)
		if err != nil || uintptr(start) != addr {
			continue
		}
		return string(f[3]) == dev && string(f[4]) == strconv.FormatUint(st.Ino, 10)
	}
	return false
}
