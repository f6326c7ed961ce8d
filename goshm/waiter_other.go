// Where there is no futex_waitv, every watch has its own goroutine (watch.go).

//go:build !linux

package goshm

import "time"

type waitGroup struct{}

func joinGroup(*Watcher) bool { return false }

func (*waitGroup) kick()  {}
func (*waitGroup) leave() {}

var monoStart = time.Now()

func monoNow() int64 { return int64(time.Since(monoStart)) }

// nameMayHaveChanged: no notifications of the segment folder here, so every follow check looks.
func nameMayHaveChanged(*Watcher) bool { return true }
