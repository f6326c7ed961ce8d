// The longest segment name Linux accepts.

//go:build linux

package goshm

// MaxNameLen is the longest name accepted, in bytes: NAME_MAX of the /dev/shm file system.
const MaxNameLen = 255
