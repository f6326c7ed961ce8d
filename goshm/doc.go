// Package goshm is the engine of node-libsharedmemory: named POSIX shared memory segments and the
// byte layouts of the C++ library libsharedmemory (streams v2, v1 and v0), with the v2 write lock.
//
// Everything here is plain Go and testable with `go test`; the C ABI that Node.js calls lives in
// goshm/cabi. OS-specific code sits in segment_<os>.go files behind build tags.
package goshm
