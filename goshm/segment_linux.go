// Segments on Linux: files under /dev/shm, opened, sized and mapped with the plain system calls.

//go:build linux

package goshm

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// shm_open(3) on Linux is open(2) under /dev/shm with O_NOFOLLOW|O_CLOEXEC; calling open directly
// gives the same file and lets us report the real errno.
const shmDir = "/dev/shm/"

func (osImpl) open(name string, o OpenOptions) (*Segment, error) {
	path := shmDir + name
	access := unix.O_RDWR
	prot := unix.PROT_READ | unix.PROT_WRITE
	if o.ReadOnly {
		access = unix.O_RDONLY
		prot = unix.PROT_READ
	}
	// O_NONBLOCK: a FIFO planted under the name would block open(2) until a writer came, forever
	// for a read-only open; with it every open returns at once, and fstat below refuses what is
	// not a regular file. mmap ignores the descriptor's flags.
	flags := access | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK

	fd, created, err := openFile(name, path, flags, o)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)

	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, osError(name, "fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, notSegment(name, st.Mode)
	}
	// Checked before the segment is grown, so a refusal changes nothing (a segment we created is
	// ours by definition).
	if !created && o.ownerOnly && int(st.Uid) != unix.Geteuid() {
		return nil, foreignOwner(name, st)
	}
	size := o.Size
	if o.Create {
		if st.Size < size {
			if err := reserve(fd, size); err != nil {
				if created {
					unix.Unlink(path)
				}
				return nil, osError(name, "fallocate", err)
			}
		}
	} else {
		if size, err = readerSize(name, st.Size, size); err != nil {
			return nil, err
		}
	}
	if int64(int(size)) != size {
		return nil, newError(KindArg, name, "size %d does not fit this platform", size)
	}
	mem, err := unix.Mmap(fd, 0, int(size), prot, unix.MAP_SHARED)
	if err != nil {
		if created {
			unix.Unlink(path)
		}
		return nil, osError(name, "mmap", err)
	}
	return &Segment{name: name, mem: mem, fileSize: max(st.Size, size), created: created, unlink: o.Unlink, readOnly: o.ReadOnly,
		id: fileID{dev: uint64(st.Dev), ino: st.Ino}, hasID: true}, nil
}

// openFile opens or creates the segment file. Creating uses O_EXCL first so we know whether we
// made it (only then is the mode applied); a segment removed between the two opens is retried.
func openFile(name, path string, flags int, o OpenOptions) (fd int, created bool, err error) {
	if !o.Create {
		fd, err = unix.Open(path, flags, 0)
		if err != nil {
			return -1, false, openError(name, path, err)
		}
		return fd, false, nil
	}
	for attempt := 0; attempt < 8; attempt++ {
		fd, err = unix.Open(path, flags|unix.O_CREAT|unix.O_EXCL, o.Mode)
		if err == nil {
			// shm_open applies the umask; we apply the mode exactly as documented.
			if err := unix.Fchmod(fd, o.Mode); err != nil {
				unix.Close(fd)
				unix.Unlink(path)
				return -1, false, osError(name, "fchmod", err)
			}
			return fd, true, nil
		}
		if err != unix.EEXIST {
			return -1, false, openError(name, path, err)
		}
		fd, err = unix.Open(path, flags, 0)
		if err == nil {
			return fd, false, nil
		}
		if err != unix.ENOENT {
			return -1, false, openError(name, path, err)
		}
	}
	return -1, false, osError(name, "open", unix.EAGAIN)
}

// openError is the error of a failed open(2). Some non-regular files are refused by open itself
// (a directory opened for writing: EISDIR; a socket: ENXIO); they get the same error as those
// open lets through to fstat, so that a caller sees one code for "not a segment" whatever the
// object and the access. A symbolic link stays ELOOP (O_NOFOLLOW's own answer).
func openError(name, path string, err error) error {
	var st unix.Stat_t
	if err != unix.ENOENT && err != unix.ELOOP && unix.Lstat(path, &st) == nil {
		if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFLNK {
			return notSegment(name, st.Mode)
		}
	}
	return osError(name, "open", err)
}

// notSegment refuses a name that holds something other than a regular file (a FIFO, socket,
// directory or device, which shm_open never makes: another program or user put it there) as a
// KindLayout error, the kind of "what is under this name is not a segment of this layout".
func notSegment(name string, mode uint32) error {
	what := map[uint32]string{
		unix.S_IFIFO: "a FIFO", unix.S_IFSOCK: "a socket", unix.S_IFDIR: "a directory",
		unix.S_IFCHR: "a character device", unix.S_IFBLK: "a block device", unix.S_IFLNK: "a symbolic link",
	}[mode&unix.S_IFMT]
	if what == "" {
		what = fmt.Sprintf("a file of type %#o", mode&unix.S_IFMT)
	}
	return newError(KindLayout, name,
		"shared memory segment %q is %s, not a regular file: it is not a shared memory segment (something other than shm_open made it; remove it to use the name)",
		name, what)
}

// foreignOwner refuses a segment of another user to a writer or a queue (OpenOptions
// AllowForeignOwner says why) with EPERM, naming the owner and the mode.
func foreignOwner(name string, st unix.Stat_t) error {
	return &Error{
		Kind: KindOS, Segment: name, Syscall: "open", Errno: unix.EPERM,
		Msg: fmt.Sprintf("EPERM: shared memory segment %q belongs to user %d (mode %04o), not to this process's user %d: "+
			"a writer or a queue does not attach to another user's segment, which that user can read and write "+
			"(opt in with allowForeignOwner)", name, st.Uid, st.Mode&0o7777, unix.Geteuid()),
	}
}

// reserve grows the file to size and allocates its pages now, so a full /dev/shm is ENOSPC here
// instead of a SIGBUS at the first write. File systems without fallocate fall back to ftruncate.
func reserve(fd int, size int64) error {
	err := unix.Fallocate(fd, 0, 0, size)
	for err == unix.EINTR {
		err = unix.Fallocate(fd, 0, 0, size)
	}
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS {
		err = unix.Ftruncate(fd, size)
	}
	return err
}

// identity is one lstat(2) of the name: no descriptor, no mapping. A symbolic link or anything
// else that is not a regular file is not a segment a reader could follow (open refuses it).
func (osImpl) identity(name string) (fileID, int64, identityState) {
	var st unix.Stat_t
	err := unix.Lstat(shmDir+name, &st)
	if err == unix.ENOENT {
		return fileID{}, 0, identityGone
	}
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileID{}, 0, identityUnknown
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, st.Size, identityKnown
}

func (osImpl) unlink(name string) error {
	if err := unix.Unlink(shmDir + name); err != nil {
		return osError(name, "unlink", err)
	}
	return nil
}

// defaultMaxMapCount is Linux's vm.max_map_count when /proc cannot tell (DEFAULT_MAX_MAP_COUNT).
const defaultMaxMapCount = 65530

// mappingBudget is half of vm.max_map_count (see MappingBudget): the other half stays for the
// heap of V8 and Go, thread stacks, shared libraries and the application's own mappings.
func (osImpl) mappingBudget() int64 {
	limit := int64(defaultMaxMapCount)
	if b, err := os.ReadFile("/proc/sys/vm/max_map_count"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			limit = n
		}
	}
	return limit / 2
}
