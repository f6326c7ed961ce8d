// The longest segment name macOS accepts.

//go:build darwin

package goshm

// MaxNameLen is the longest name accepted, in bytes. PSHMNAMLEN (31, <sys/posix_shm.h>) bounds the
// name shm_open(2) is given, and that name is "/" + the segment's name, as the C++ library opens it.
const MaxNameLen = 31 - len("/")
