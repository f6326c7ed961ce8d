package goshm

import (
	"errors"
	"testing"
)

// What ftruncate answers: EINVAL for an object that has a size, ENOMEM for one it cannot allocate.
var errEINVAL, errENOMEM = errors.New("EINVAL"), errors.New("ENOMEM")

// A fake object that takes one size, as a macOS shared memory object does.
type onceObject struct{ size int64 }

func (o *onceObject) truncate(n int64) error {
	if o.size != 0 {
		return errEINVAL
	}
	o.size = (n + 4095) &^ 4095 // page-rounded, as XNU stores it
	return nil
}

func (o *onceObject) stat() (int64, error) { return o.size, nil }

func TestSizeOnce(t *testing.T) {
	t.Run("a new object takes the size", func(t *testing.T) {
		o := &onceObject{}
		if got, err := sizeOnce(0, 100, o.truncate, o.stat); err != nil || got < 100 || o.size != 4096 {
			t.Fatalf("sizeOnce = %d, %v; object %d bytes", got, err, o.size)
		}
	})
	t.Run("a sized object large enough is taken as it is", func(t *testing.T) {
		o := &onceObject{size: 8192}
		if got, err := sizeOnce(8192, 100, o.truncate, o.stat); err != nil || got != 8192 {
			t.Fatalf("sizeOnce = %d, %v", got, err)
		}
	})
	t.Run("a sized object too small cannot grow", func(t *testing.T) {
		o := &onceObject{size: 4096}
		if _, err := sizeOnce(4096, 5000, o.truncate, o.stat); err != errSizedSmaller {
			t.Fatalf("sizeOnce: %v; want errSizedSmaller", err)
		}
	})
	// Two processes open a new name at once: both see 0 bytes, the other one's ftruncate lands first,
	// so ours fails with EINVAL. Its size decides, not the failure (which made a creator remove the
	// segment the other process had just sized).
	t.Run("sized by another opener between fstat and ftruncate", func(t *testing.T) {
		o := &onceObject{}
		raced := func(n int64) error {
			o.truncate(8192) // the other opener
			return o.truncate(n)
		}
		if got, err := sizeOnce(0, 100, raced, o.stat); err != nil || got != 8192 {
			t.Fatalf("sizeOnce = %d, %v; want the other opener's 8192 bytes", got, err)
		}
		o = &onceObject{}
		raced = func(n int64) error {
			o.truncate(4096)
			return o.truncate(n)
		}
		if got, err := sizeOnce(0, 5000, raced, o.stat); err != errSizedSmaller || got != 4096 {
			t.Fatalf("sizeOnce = %d, %v; want 4096, errSizedSmaller", got, err)
		}
	})
	t.Run("another failure is reported as it is", func(t *testing.T) {
		o := &onceObject{}
		nomem := func(int64) error { return errENOMEM }
		if _, err := sizeOnce(0, 100, nomem, o.stat); err != errENOMEM {
			t.Fatalf("sizeOnce: %v; want ENOMEM", err)
		}
	})
}
