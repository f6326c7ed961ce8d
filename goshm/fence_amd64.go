// The load fence of the sequence-locked read, on x86-64.
package goshm

// loadFence orders the plain loads of a sequence-locked copy before the atomic loads that
// validate it. x86-64 never reorders loads with other loads, so nothing is needed.
func loadFence() {}
