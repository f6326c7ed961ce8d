// Sizing a shared memory object that takes one size in its lifetime, as macOS's do (ftruncate
// succeeds once per object and fails with EINVAL after). segment_darwin.go is its one user; it is
// built everywhere so that its races are tested where the tests run.

package goshm

import "errors"

// errSizedSmaller: the object has a size already, smaller than the one asked for, and cannot grow.
var errSizedSmaller = errors.New("sized smaller than asked for")

// sizeOnce makes an object whose fstat size is have at least want bytes, and returns its size. One
// with no size yet (0) is truncated to want; one with a size is what it is. When the truncate
// fails, another opener (the creator, or an attacher that came first) may have sized the object
// since the fstat: then that size decides, as if it had been found, and not the failure, which
// would have a creator remove the segment the other one just sized.
func sizeOnce(have, want int64, truncate func(int64) error, stat func() (int64, error)) (int64, error) {
	if have >= want {
		return have, nil
	}
	if have == 0 {
		err := truncate(want)
		if err == nil {
			return want, nil
		}
		if have, _ = stat(); have == 0 {
			return 0, err
		}
		if have >= want {
			return have, nil
		}
	}
	return have, errSizedSmaller
}
