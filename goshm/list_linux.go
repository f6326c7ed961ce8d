// Enumerating segments on Linux: the regular files of /dev/shm, with their owner, mode and age,
// and whether any process maps them, from /proc/PID/maps.

//go:build linux

package goshm

import (
	"bufio"
	"bytes"
	"os"
	"os/user"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func (osImpl) list() ([]Entry, error) {
	names, err := os.ReadDir(shmDir)
	if err != nil {
		return nil, osError("", "open", unwrapErrno(err))
	}
	users := scanMaps()
	owners := map[uint32]string{}
	var out []Entry
	for _, d := range names {
		if !d.Type().IsRegular() {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(shmDir+d.Name(), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue // removed meanwhile, or replaced by something that is no segment
		}
		out = append(out, entryOf(d.Name(), &st, users, owners))
	}
	return out, nil
}

func (osImpl) stat(name string) (Entry, error) {
	var st unix.Stat_t
	if err := unix.Lstat(shmDir+name, &st); err != nil {
		return Entry{}, osError(name, "stat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Entry{}, notSegment(name, st.Mode)
	}
	return entryOf(name, &st, scanMaps(), map[uint32]string{}), nil
}

func entryOf(name string, st *unix.Stat_t, users mapUsers, owners map[uint32]string) Entry {
	owner, seen := owners[st.Uid]
	if !seen {
		if u, err := user.LookupId(strconv.FormatUint(uint64(st.Uid), 10)); err == nil {
			owner = u.Username
		}
		owners[st.Uid] = owner
	}
	e := Entry{
		Name: name, Size: st.Size, HasOwner: true, UID: st.Uid, Owner: owner, Mode: st.Mode & 0o7777,
		Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec), Mapped: TriUnknown, Announced: announcedAny(name),
	}
	switch {
	case users.inodes[st.Ino]:
		e.Mapped = TriYes
	case users.all:
		e.Mapped = TriNo
	}
	return e
}

// announcedAny asks whether any presence lock (lock.go) is held on the segment's file, by any
// process in any PID namespace: one F_OFD_GETLK over every tag's byte. The descriptor is only
// asked through, never locked or mapped; closing it drops no lock of ours (presence locks are OFD
// locks, which belong to their own descriptors).
func announcedAny(name string) Tri {
	fd, err := unix.Open(shmDir+name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return TriUnknown
	}
	defer unix.Close(fd)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: presenceBase, Len: 1 << 32}
	if unix.FcntlFlock(uintptr(fd), unix.F_OFD_GETLK, &lk) != nil {
		return TriUnknown
	}
	if lk.Type != unix.F_UNLCK {
		return TriYes
	}
	return TriNo
}

// mapUsers is what a scan of /proc found: the inodes of /dev/shm files some process maps, and
// whether every process could be read (all).
type mapUsers struct {
	inodes map[uint64]bool
	all    bool
}

func scanMaps() mapUsers {
	u := mapUsers{inodes: map[uint64]bool{}, all: true}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return mapUsers{inodes: u.inodes}
	}
	for _, p := range procs {
		if _, err := strconv.ParseUint(p.Name(), 10, 32); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + p.Name() + "/maps")
		if err != nil {
			if os.IsNotExist(err) || unwrapErrno(err) == unix.ESRCH {
				continue // ended meanwhile
			}
			u.all = false
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			// address perms offset dev inode path: only files of /dev/shm matter.
			f := bytes.Fields(sc.Bytes())
			if len(f) < 6 || !bytes.HasPrefix(f[5], []byte(shmDir)) {
				continue
			}
			if ino, err := strconv.ParseUint(string(f[4]), 10, 64); err == nil {
				u.inodes[ino] = true
			}
		}
	}
	return u
}
