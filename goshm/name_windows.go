// The longest segment name on Windows.

//go:build windows

package goshm

// MaxNameLen is the longest name accepted, in bytes. Windows takes longer object names; 255 is
// goshm.h's limit for every system but macOS, so that the same names work on Linux and Windows.
const MaxNameLen = 255
