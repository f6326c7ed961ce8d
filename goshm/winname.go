// The facts of Windows segments that are plain data, kept free of OS calls so that they are
// tested on every system: where a persistent segment's file lives (libsharedmemory 2.x's path
// rule) and the POSIX names of the Windows error codes the engine reports.
package goshm

import "strings"

// defaultProgramData is %PROGRAMDATA% on a standard installation, used when the variable is unset.
const defaultProgramData = `C:\ProgramData`

// windowsSegmentFile is the file of persistent segment name under programData (the value of
// %PROGRAMDATA%): programData\shared_memory\lsm_<name>.shm, where <name> has each of \ / : * ? " < > |
// and every byte below 32 replaced by '_', as libsharedmemory 2.x does it, so that a C++ peer and
// this engine open the same file. The replacement is per byte: a name's UTF-8 sequences (all
// bytes >= 0x80) pass through unchanged.
func windowsSegmentFile(programData, name string) string {
	b := []byte(name)
	for i, c := range b {
		if c < 32 || strings.IndexByte(`\/:*?"<>|`, c) >= 0 {
			b[i] = '_'
		}
	}
	return windowsSegmentDir(programData) + `\lsm_` + string(b) + `.shm`
}

// windowsSegmentDir is the folder of every persistent segment: programData\shared_memory.
func windowsSegmentDir(programData string) string {
	if programData == "" {
		programData = defaultProgramData
	}
	return strings.TrimRight(programData, `\/`) + `\shared_memory`
}

// windowsErrnoNames gives the Windows error codes that the engine's calls return the name of
// the errno a caller of this module already switches on (err.code), so that "no such segment"
// is ENOENT on every system. The number stays Windows's own (err.errno).
var windowsErrnoNames = map[uint32]string{
	2:    "ENOENT",       // ERROR_FILE_NOT_FOUND (also OpenFileMapping of a name nobody created)
	3:    "ENOENT",       // ERROR_PATH_NOT_FOUND (no shared_memory folder yet)
	4:    "EMFILE",       // ERROR_TOO_MANY_OPEN_FILES
	5:    "EACCES",       // ERROR_ACCESS_DENIED
	6:    "EBADF",        // ERROR_INVALID_HANDLE
	8:    "ENOMEM",       // ERROR_NOT_ENOUGH_MEMORY
	14:   "ENOMEM",       // ERROR_OUTOFMEMORY
	32:   "EBUSY",        // ERROR_SHARING_VIOLATION (a peer opened the file without sharing)
	33:   "EBUSY",        // ERROR_LOCK_VIOLATION
	80:   "EEXIST",       // ERROR_FILE_EXISTS
	87:   "EINVAL",       // ERROR_INVALID_PARAMETER
	112:  "ENOSPC",       // ERROR_DISK_FULL
	123:  "EINVAL",       // ERROR_INVALID_NAME
	183:  "EEXIST",       // ERROR_ALREADY_EXISTS
	206:  "ENAMETOOLONG", // ERROR_FILENAME_EXCED_RANGE
	1224: "EBUSY",        // ERROR_USER_MAPPED_FILE (a file with a mapped view cannot be truncated)
	1450: "ENOMEM",       // ERROR_NO_SYSTEM_RESOURCES
	1455: "ENOMEM",       // ERROR_COMMITMENT_LIMIT (the paging file is full)
}
