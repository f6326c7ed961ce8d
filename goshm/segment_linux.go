// Segments on Linux: files under /dev/shm, opened, sized and mapped with the plain system calls.

//go:build linux

package goshm

import "golang.org/x/sys/unix"

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
	flags := access | unix.O_NOFOLLOW | unix.O_CLOEXEC

	fd, created, err := openFile(name, path, flags, o)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)

	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, osError(name, "fstat", err)
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
		if st.Size == 0 {
			return nil, newError(KindSize, name, "shared memory segment %q is empty (0 bytes)", name)
		}
		if size == 0 {
			size = st.Size
		} else if size > st.Size {
			return nil, newError(KindSize, name,
				"shared memory segment %q is %d bytes, smaller than the %d bytes asked for", name, st.Size, size)
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
	return &Segment{name: name, mem: mem, created: created, unlink: o.Unlink, readOnly: o.ReadOnly}, nil
}

// openFile opens or creates the segment file. Creating uses O_EXCL first so we know whether we
// made it (only then is the mode applied); a segment removed between the two opens is retried.
func openFile(name, path string, flags int, o OpenOptions) (fd int, created bool, err error) {
	if !o.Create {
		fd, err = unix.Open(path, flags, 0)
		if err != nil {
			return -1, false, osError(name, "open", err)
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
			return -1, false, osError(name, "open", err)
		}
		fd, err = unix.Open(path, flags, 0)
		if err == nil {
			return fd, false, nil
		}
		if err != unix.ENOENT {
			return -1, false, osError(name, "open", err)
		}
	}
	return -1, false, osError(name, "open", unix.EAGAIN)
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

func (osImpl) unlink(name string) error {
	if err := unix.Unlink(shmDir + name); err != nil {
		return osError(name, "unlink", err)
	}
	return nil
}
