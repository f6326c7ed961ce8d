// Package goshm is the engine of node-libsharedmemory: named POSIX shared memory segments and the
// byte layouts of the C++ library libsharedmemory (streams v2, v1 and v0, and its FIFO queue),
// with the v2 locks and change watching.
//
// Everything here is plain Go and testable with `go test`; the C ABI that Node.js calls lives in
// goshm/cabi, and goshm/cabi/goshm.h is the one definition of the numbers both sides share (the
// exported constants here are checked against it when cabi compiles).
//
// The files fall in two groups. The portable ones know nothing of the OS and reach it only through
// sys, the osLayer of os.go:
//
//	doc.go, errors.go     the package; the one error type and its kinds
//	fault.go              recoverFault: a fault on a mapping becomes a KindFault error
//	name.go, segment.go   segment names; opening, closing and unlinking a segment
//	raw.go                reference-counted raw access to a segment
//	layout.go             the stream layouts' header offsets and flag bits
//	detect.go             what a segment's bytes look like (stream or queue, which layout), and
//	                      which opens that contradicts
//	stream.go             reading and writing a stream; stream_lock.go its v2 write lock
//	revision.go           a v2 stream's revision and ack, and watching them
//	lock.go               lock words: waiting, acquiring, dead-holder detection (streams and queues)
//	queue.go              the queue's header, opening and validation; queue_ops.go its operations,
//	                      queue_lock.go its v2 locks and repair, queue_watch.go watching its count
//	watch.go              watchers: a goroutine reporting the changes of one word
//	copy.go, fence_*.go   cache-friendly copies; the load fence of the sequence-locked read
//	sizeonce.go           sizing an object that takes one size (macOS's), races included
//
// The per-OS ones implement osLayer on osImpl, behind build tags:
//
//	segment_linux.go      open (files under /dev/shm, sized and mapped) and unlink
//	mmap_unix.go          unmap and errno names, for every Unix
//	futex_linux.go        wait and wake with futexes; futex_other.go polls elsewhere
//	proc_linux.go         whether a lock holder is alive (kill and /proc)
//	name_<os>.go          MaxNameLen, the OS's limit on a segment name
package goshm
