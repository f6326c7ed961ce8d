// Enumerating segments on macOS: POSIX shared memory objects have no directory and no system call
// that lists them, so only a name already known can be looked at.

//go:build darwin

package goshm

func (osImpl) list() ([]Entry, error) {
	return nil, newError(KindUnsupported, "",
		"macOS offers no way to list shared memory segments: inspect one by its name instead")
}

// stat cannot tell anything without opening the object (shm_open); Inspect opens it.
func (osImpl) stat(name string) (Entry, error) {
	return Entry{Name: name, Mapped: TriUnknown, Announced: TriUnknown}, nil
}
