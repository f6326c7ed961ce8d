// The longest segment name macOS accepts.

//go:build darwin

package goshm

// MaxNameLen is the longest name accepted, in bytes: PSHMNAMLEN of shm_open(2) on macOS.
const MaxNameLen = 31
