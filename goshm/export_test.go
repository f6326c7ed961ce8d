package goshm

// OwnGoroutines gives every watch started until it is called again its own goroutine, as on
// systems without futex_waitv, so that the tests of package goshm_test reach that path on Linux.
func OwnGoroutines(on bool) { ownGoroutines.Store(on) }

// BeforeWait sets (nil: removes) what a watch's own goroutine does just before it waits on the word.
func BeforeWait(f func(*Watcher)) {
	if f == nil {
		beforeWait.Store(nil)
	} else {
		beforeWait.Store(&f)
	}
}

// StopSignal is the first half of Stop: the stop flag and the wake, without waiting for the end.
func (w *Watcher) StopSignal() { w.signal() }
