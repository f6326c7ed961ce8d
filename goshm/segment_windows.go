// Segments on Windows, as libsharedmemory 2.x makes them: a persistent segment is a file under
// %PROGRAMDATA%\shared_memory mapped through an unnamed mapping, a non-persistent one a named
// paging-file mapping that lives as long as some process holds a handle to it.

//go:build windows

package goshm

import (
	"errors"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// OpenFileMappingW is not in golang.org/x/sys/windows.
var procOpenFileMapping = windows.NewLazySystemDLL("kernel32.dll").NewProc("OpenFileMappingW")

// fileMapAllAccess is FILE_MAP_ALL_ACCESS, what the C++ reader asks for.
const fileMapAllAccess = 0xF001F

// A named mapping loses its name when its last handle closes, even while views of it remain, so
// the handle of every view stays open until the view is unmapped: it keeps the segment findable
// by its name as long as this process maps it, as the C++ library's open handle does. Keyed by
// the view's address (the first byte of Segment.mem).
var viewHandles struct {
	sync.Mutex
	m map[uintptr]windows.Handle
}

// open attaches to an existing segment of either kind, the kind o asks for first, so that a
// writer and a reader that disagree about persistence still meet, and a writer attaches rather
// than making a second segment of the same name beside a peer's. Only when neither exists is
// one created: a file when persistent (o.Unlink false), a named mapping otherwise.
func (osImpl) open(name string, o OpenOptions) (*Segment, error) {
	preferred, other := openFileSegment, openNamedMapping
	if o.Unlink {
		preferred, other = openNamedMapping, openFileSegment
	}
	s, err := preferred(name, o, false)
	if err == nil || !isNotExist(err) {
		return s, err
	}
	if s, err2 := other(name, o, false); err2 == nil || !isNotExist(err2) {
		return s, err2
	}
	if !o.Create {
		return nil, err
	}
	return preferred(name, o, true)
}

// openNamedMapping opens (or, with create, creates or opens) the paging-file mapping named name.
func openNamedMapping(name string, o OpenOptions, create bool) (*Segment, error) {
	wname, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, newError(KindArg, name, "segment name %q cannot be a Windows object name", name)
	}
	access := uint32(fileMapAllAccess)
	if o.ReadOnly {
		access = windows.FILE_MAP_READ
	}
	var h windows.Handle
	created := false
	if create {
		size := uint64(o.Size)
		h, err = windows.CreateFileMapping(windows.InvalidHandle, nil, windows.PAGE_READWRITE,
			uint32(size>>32), uint32(size), wname)
		created = err == nil
		if err == windows.ERROR_ALREADY_EXISTS {
			err = nil // a valid handle to the existing mapping, whose size stays what it was
		}
		if err != nil {
			return nil, osError(name, "CreateFileMapping", err)
		}
	} else {
		r, _, e := procOpenFileMapping.Call(uintptr(access), 0, uintptr(unsafe.Pointer(wname)))
		if r == 0 {
			return nil, osError(name, "OpenFileMapping", e)
		}
		h = windows.Handle(r)
	}
	// A new mapping is exactly o.Size bytes; an existing one is mapped whole, and its size is its
	// view's, which Windows rounds up to whole pages: the layouts' headers give the exact sizes.
	length := uintptr(0)
	if created {
		length = uintptr(o.Size)
	}
	s, err := mapView(name, h, access, length, o, created, "a named mapping (non-persistent) cannot grow: it keeps the size its creator gave it")
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return s, nil
}

// openFileSegment opens (or, with create, creates or opens) the file of a persistent segment and
// maps it through an unnamed mapping; a writer (o.Create) grows it to o.Size either way. The file is shared for read, write and delete: read and
// write as the C++ library shares it, delete so that a peer's unlink is not refused while this
// process has the file open.
func openFileSegment(name string, o OpenOptions, create bool) (*Segment, error) {
	programData := os.Getenv("PROGRAMDATA")
	path := windowsSegmentFile(programData, name)
	wpath, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, newError(KindArg, name, "segment name %q cannot be a Windows file name", name)
	}
	fileAccess := uint32(windows.GENERIC_READ | windows.GENERIC_WRITE)
	protect, mapAccess := uint32(windows.PAGE_READWRITE), uint32(fileMapAllAccess)
	if o.ReadOnly {
		fileAccess, protect, mapAccess = windows.GENERIC_READ, windows.PAGE_READONLY, windows.FILE_MAP_READ
	}
	const share = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE
	open := func(disposition uint32) (windows.Handle, error) {
		return windows.CreateFile(wpath, fileAccess, share, nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
	}

	var fh windows.Handle
	created := false
	if !create {
		if fh, err = open(windows.OPEN_EXISTING); err != nil {
			return nil, osError(name, "CreateFile", err)
		}
	} else {
		if err := os.MkdirAll(windowsSegmentDir(programData), 0o777); err != nil {
			var errno windows.Errno
			if !errors.As(err, &errno) {
				return nil, newError(KindInternal, name, "creating the folder of %q: %v", path, err)
			}
			return nil, osError(name, "CreateDirectory", errno)
		}
		// CREATE_NEW first, so that we know whether we made the file (a file removed between
		// the two opens is tried again), as O_EXCL does on Linux.
		for attempt := 0; ; attempt++ {
			if fh, err = open(windows.CREATE_NEW); err == nil {
				created = true
				break
			}
			if err != windows.ERROR_FILE_EXISTS && err != windows.ERROR_ALREADY_EXISTS {
				return nil, osError(name, "CreateFile", err)
			}
			if fh, err = open(windows.OPEN_EXISTING); err == nil {
				break
			}
			if err != windows.ERROR_FILE_NOT_FOUND || attempt == 7 {
				return nil, osError(name, "CreateFile", err)
			}
		}
	}
	// The view keeps the file open; this handle is not needed once the mapping exists.
	defer func() {
		if fh != windows.InvalidHandle {
			windows.CloseHandle(fh)
		}
	}()
	fail := func(err error) (*Segment, error) {
		if created {
			windows.CloseHandle(fh)
			fh = windows.InvalidHandle
			windows.DeleteFile(wpath)
		}
		return nil, err
	}

	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(fh, &info); err != nil {
		return fail(osError(name, "GetFileInformationByHandle", err))
	}
	fileSize := int64(info.FileSizeHigh)<<32 | int64(info.FileSizeLow)
	size := o.Size
	switch {
	case o.Create && fileSize < size:
		// A writer grows the file, never shrinks it (see "A writer attaches" in the README),
		// whether it made it or attached; the new bytes are zeros.
		if _, err := windows.Seek(fh, size, 0); err != nil {
			return fail(osError(name, "SetFilePointerEx", err))
		}
		if err := windows.SetEndOfFile(fh); err != nil {
			return fail(osError(name, "SetEndOfFile", err))
		}
	case o.Create:
	default:
		var err error
		if size, err = readerSize(name, fileSize, size); err != nil {
			return nil, err
		}
	}
	if int64(uintptr(size)) != size {
		return fail(newError(KindArg, name, "size %d does not fit this platform", size))
	}
	mh, err := windows.CreateFileMapping(fh, nil, protect, 0, 0, nil)
	if err != nil {
		return fail(osError(name, "CreateFileMapping", err))
	}
	s, err := mapView(name, mh, mapAccess, uintptr(size), o, created, "")
	if err != nil {
		windows.CloseHandle(mh)
		return fail(err)
	}
	return s, nil
}

// mapView maps length bytes of mapping h (0: all of it), checks the size against o, and records
// h for unmap. grow is the reason an existing segment smaller than o.Size cannot be grown, or
// "" when the caller grew it already.
func mapView(name string, h windows.Handle, access uint32, length uintptr, o OpenOptions, created bool, grow string) (*Segment, error) {
	addr, err := windows.MapViewOfFile(h, access, 0, 0, length)
	if err != nil {
		return nil, osError(name, "MapViewOfFile", err)
	}
	size, whole := int64(length), int64(0)
	if length == 0 {
		var mbi windows.MemoryBasicInformation
		if err := windows.VirtualQuery(addr, &mbi, unsafe.Sizeof(mbi)); err != nil {
			windows.UnmapViewOfFile(addr)
			return nil, osError(name, "VirtualQuery", err)
		}
		size = int64(mbi.RegionSize)
		whole = size
		switch {
		case o.Size > size && o.Create && grow != "":
			windows.UnmapViewOfFile(addr)
			return nil, newError(KindSize, name, "shared memory segment %q is %d bytes, smaller than the %d bytes asked for; %s",
				name, size, o.Size, grow)
		case o.Size > size:
			windows.UnmapViewOfFile(addr)
			return nil, newError(KindSize, name,
				"shared memory segment %q is %d bytes, smaller than the %d bytes asked for", name, size, o.Size)
		case o.Size > 0:
			size = o.Size
		}
	}
	viewHandles.Lock()
	if viewHandles.m == nil {
		viewHandles.m = make(map[uintptr]windows.Handle)
	}
	viewHandles.m[addr] = h
	viewHandles.Unlock()
	// addr is memory the OS mapped outside Go's heap; reading it as a pointer's bits (rather
	// than converting the integer) keeps vet's unsafeptr check meaningful elsewhere.
	mem := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), int(size))
	// An existing mapping's size is known only in pages: the view's, recorded even when fewer bytes
	// were asked for, so that what fills those pages is judged against it (detect.go).
	return &Segment{name: name, mem: mem, fileSize: whole, sizeInPages: whole > 0, created: created, unlink: o.Unlink, readOnly: o.ReadOnly}, nil
}

func (osImpl) unmap(mem []byte) error {
	if len(mem) == 0 {
		return nil
	}
	addr := uintptr(unsafe.Pointer(&mem[0]))
	err := windows.UnmapViewOfFile(addr)
	viewHandles.Lock()
	h, ok := viewHandles.m[addr]
	delete(viewHandles.m, addr)
	viewHandles.Unlock()
	if ok {
		windows.CloseHandle(h)
	}
	if err != nil {
		return osError("", "UnmapViewOfFile", err)
	}
	return nil
}

// unlink removes a persistent segment's file. Windows refuses the delete while a peer that opened
// the file without sharing delete (libsharedmemory) has it open or mapped; then, as the C++
// library does, it is scheduled for removal at the next reboot, which only an administrator may
// do (otherwise the delete's error is reported). A
// non-persistent segment has no name to remove: it vanishes with its last handle, so unlinking
// one that exists succeeds and changes nothing.
func (osImpl) unlink(name string) error {
	wpath, err := windows.UTF16PtrFromString(windowsSegmentFile(os.Getenv("PROGRAMDATA"), name))
	if err != nil {
		return newError(KindArg, name, "segment name %q cannot be a Windows file name", name)
	}
	err = windows.DeleteFile(wpath)
	if err == nil {
		return nil
	}
	if err == windows.ERROR_FILE_NOT_FOUND || err == windows.ERROR_PATH_NOT_FOUND {
		if wname, e := windows.UTF16PtrFromString(name); e == nil {
			if r, _, _ := procOpenFileMapping.Call(windows.FILE_MAP_READ, 0, uintptr(unsafe.Pointer(wname))); r != 0 {
				windows.CloseHandle(windows.Handle(r))
				return nil
			}
		}
		return osError(name, "DeleteFile", err)
	}
	if windows.MoveFileEx(wpath, nil, windows.MOVEFILE_DELAY_UNTIL_REBOOT) == nil {
		return nil
	}
	return osError(name, "DeleteFile", err)
}

// mappingBudget: Windows has no per-process table of mappings like Linux's vm.max_map_count, so
// the budget is the one Linux has by default, and a program behaves the same on both.
func (osImpl) mappingBudget() int64 { return 65530 / 2 }
