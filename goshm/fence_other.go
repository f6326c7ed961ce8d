// The load fence of the sequence-locked read, on CPUs that may reorder loads.

//go:build !amd64

package goshm

import "sync/atomic"

var fenceWord uint32

// loadFence orders the plain loads of a sequence-locked copy before the atomic loads that
// validate it. On weakly ordered CPUs an atomic read-modify-write is a full barrier in Go.
func loadFence() { atomic.AddUint32(&fenceWord, 0) }
