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
		Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec), InUse: TriUnknown,
	}
	euid := uint32(unix.Geteuid())
	switch {
	case users.inodes[st.Ino]:
		e.InUse = TriYes
	case users.all:
		e.InUse = TriNo
	// A segment that only its owner may open can be mapped only by the owner's processes (and
	// root's, which an unprivileged scan cannot read and which do not count here).
	case users.own && st.Uid == euid && st.Mode&0o077 == 0:
		e.InUse = TriNo
	}
	return e
}

// mapUsers is what a scan of /proc found: the inodes of /dev/shm files some process maps, and
// whether every process (all) or every process of this user (own) could be read.
type mapUsers struct {
	inodes   map[uint64]bool
	all, own bool
}

func scanMaps() mapUsers {
	u := mapUsers{inodes: map[uint64]bool{}, all: true, own: true}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return mapUsers{inodes: u.inodes}
	}
	euid := uint32(unix.Geteuid())
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
			var st unix.Stat_t
			if unix.Stat("/proc/"+p.Name(), &st) != nil || st.Uid == euid {
				u.own = false
			}
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
