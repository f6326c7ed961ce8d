// Enumerating segments on Windows: the persistent ones are files in %PROGRAMDATA%\shared_memory
// (winname.go); a non-persistent one is a named mapping, which Windows offers no way to list.

//go:build windows

package goshm

import (
	"os"
	"strings"
)

// list gives the persistent segments. A file's name is lsm_<name>.shm with some bytes of <name>
// replaced by '_' (windowsSegmentFile), so a name that had one of them shows with the '_'.
func (osImpl) list() ([]Entry, error) {
	dir := windowsSegmentDir(os.Getenv("PROGRAMDATA"))
	files, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, osError("", "FindFirstFile", unwrapErrno(err))
	}
	var out []Entry
	for _, f := range files {
		n := f.Name()
		if !f.Type().IsRegular() || !strings.HasPrefix(n, "lsm_") || !strings.HasSuffix(n, ".shm") {
			continue
		}
		info, err := f.Info()
		if err != nil {
			continue
		}
		out = append(out, Entry{Name: strings.TrimSuffix(strings.TrimPrefix(n, "lsm_"), ".shm"), Size: info.Size(),
			Mode: uint32(info.Mode().Perm()), Mtime: info.ModTime(), Mapped: TriUnknown, Announced: TriUnknown})
	}
	return out, nil
}

// stat tells of a persistent segment's file; a name without one may still be a named mapping,
// which only opening it can tell.
func (osImpl) stat(name string) (Entry, error) {
	e := Entry{Name: name, Mapped: TriUnknown, Announced: TriUnknown}
	if info, err := os.Stat(windowsSegmentFile(os.Getenv("PROGRAMDATA"), name)); err == nil {
		e.Size, e.Mode, e.Mtime = info.Size(), uint32(info.Mode().Perm()), info.ModTime()
	}
	return e, nil
}
