// Segments on macOS: POSIX shared memory objects ("/" + name), reached through the shm_open and
// shm_unlink system calls, since golang.org/x/sys/unix has no wrapper for them on darwin and the
// engine stays free of cgo there. Written against Apple's shm_open(2), not yet run on a Mac.

//go:build darwin

package goshm

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// shmOpen is shm_open(2) with the leading "/" the C++ library adds. unix.Syscall traps into the
// kernel directly on darwin (not through libSystem), by the BSD system call numbers of
// <sys/syscall.h>. Apple's shm_open(2) documents only O_RDONLY, O_RDWR, O_CREAT, O_EXCL and
// O_TRUNC, so close-on-exec is not passed as O_CLOEXEC; XNU sets it on every shared memory
// descriptor anyway (bsd/kern/posix_shm.c), and setting it again keeps that true if it stops.
func shmOpen(name string, flags int, mode uint32) (int, error) {
	p, err := unix.BytePtrFromString("/" + name)
	if err != nil {
		return -1, unix.EINVAL
	}
	fd, _, errno := unix.Syscall(unix.SYS_SHM_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flags), uintptr(mode))
	runtime.KeepAlive(p)
	if errno != 0 {
		return -1, errno
	}
	unix.CloseOnExec(int(fd))
	return int(fd), nil
}

// On macOS a shared memory object takes a size once: ftruncate succeeds on a new object and fails
// (EINVAL) on one that has a size. So a segment is grown only when it is new; an existing one
// smaller than asked for is a KindSize error that says so. fstat reports the size rounded up to
// whole pages (16 KiB on arm64), so a segment opened without a size maps whole pages, and the
// layouts' headers give the exact sizes. mmap refuses (EINVAL) an object not yet sized, which
// fstat shows as 0 bytes: a reader that comes before the creator's ftruncate gets KindSize.
func (osImpl) open(name string, o OpenOptions) (*Segment, error) {
	access := unix.O_RDWR
	prot := unix.PROT_READ | unix.PROT_WRITE
	if o.ReadOnly {
		access = unix.O_RDONLY
		prot = unix.PROT_READ
	}
	fd, created, err := shmOpenFile(name, access, o)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	fail := func(err error) (*Segment, error) {
		if created {
			shmUnlink(name)
		}
		return nil, err
	}

	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fail(osError(name, "fstat", err))
	}
	if !created && o.ownerOnly && int(st.Uid) != unix.Geteuid() {
		return nil, &Error{Kind: KindOS, Segment: name, Syscall: "open", Errno: unix.EPERM,
			Msg: fmt.Sprintf("EPERM: shared memory segment %q belongs to user %d (mode %04o), not to this process's user %d "+
				"(opt in with allowForeignOwner)", name, st.Uid, st.Mode&0o7777, unix.Geteuid())}
	}
	size := o.Size
	if o.Create {
		truncate := func(n int64) error { return unix.Ftruncate(fd, n) }
		stat := func() (int64, error) {
			var now unix.Stat_t
			err := unix.Fstat(fd, &now)
			return now.Size, err
		}
		have, err := sizeOnce(st.Size, size, truncate, stat)
		if err == errSizedSmaller {
			return fail(newError(KindSize, name,
				"shared memory segment %q is %d bytes, smaller than the %d bytes asked for, and macOS cannot grow "+
					"a shared memory object that has a size: remove it (unlink) and create it again", name, have, size))
		} else if err != nil {
			return fail(osError(name, "ftruncate", err))
		}
	} else {
		if size, err = readerSize(name, st.Size, size); err != nil {
			return nil, err
		}
	}
	if int64(int(size)) != size {
		return fail(newError(KindArg, name, "size %d does not fit this platform", size))
	}
	mem, err := unix.Mmap(fd, 0, int(size), prot, unix.MAP_SHARED)
	if err != nil {
		return fail(osError(name, "mmap", err))
	}
	return &Segment{name: name, mem: mem, created: created, unlink: o.Unlink, readOnly: o.ReadOnly}, nil
}

// shmOpenFile opens or creates the object, with O_EXCL first so that we know whether we made it;
// one removed between the two opens is tried again.
func shmOpenFile(name string, flags int, o OpenOptions) (fd int, created bool, err error) {
	if !o.Create {
		if fd, err = shmOpen(name, flags, 0); err != nil {
			return -1, false, osError(name, "shm_open", err)
		}
		return fd, false, nil
	}
	for attempt := 0; attempt < 8; attempt++ {
		if fd, err = shmOpen(name, flags|unix.O_CREAT|unix.O_EXCL, o.Mode); err == nil {
			// The mode is meant exactly. XNU's shm_open keeps it as given (mode & ALLPERMS, no
			// umask), unlike a file in /dev/shm; fchmod is for a kernel that masks it, and its
			// refusal (unverified whether macOS takes fchmod on a shared memory object) is ignored.
			unix.Fchmod(fd, o.Mode)
			return fd, true, nil
		}
		if err != unix.EEXIST {
			return -1, false, osError(name, "shm_open", err)
		}
		if fd, err = shmOpen(name, flags, 0); err == nil {
			return fd, false, nil
		}
		if err != unix.ENOENT {
			return -1, false, osError(name, "shm_open", err)
		}
	}
	return -1, false, osError(name, "shm_open", unix.EAGAIN)
}

func shmUnlink(name string) error {
	p, err := unix.BytePtrFromString("/" + name)
	if err != nil {
		return unix.EINVAL
	}
	_, _, errno := unix.Syscall(unix.SYS_SHM_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
	runtime.KeepAlive(p)
	if errno != 0 {
		return errno
	}
	return nil
}

func (osImpl) unlink(name string) error {
	if err := shmUnlink(name); err != nil {
		return osError(name, "shm_unlink", err)
	}
	return nil
}

// mappingBudget: macOS has no per-process table of mappings like Linux's vm.max_map_count, so
// the budget is the one Linux has by default, and a program behaves the same on both.
func (osImpl) mappingBudget() int64 { return 65530 / 2 }
