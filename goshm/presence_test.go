// Tests of how lock holders are judged (lock.go): a holder is dead only when its pid is gone here
// AND no descriptor on the segment announces its tag, so a live holder in another PID namespace
// (simulated by announcing a pid that is dead here) is never taken over.

//go:build linux

package goshm

import (
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func pOpenStream(t *testing.T, name string, o OpenOptions) *Stream {
	t.Helper()
	s, err := OpenStream(name, o, StreamOptions{Layout: LayoutV2, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("OpenStream(%q): %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// announceElsewhere announces tag on the segment as a live process in another PID namespace would
// (its pid means nothing here); the returned function withdraws it, as that process's death does.
func announceElsewhere(t *testing.T, name string, mem []byte, tag uint32) (withdraw func()) {
	t.Helper()
	fd, unsupported, err := sys.announce(name, mem, tag)
	if unsupported {
		t.Skip("no open-file-description locks here")
	}
	if err != nil {
		t.Fatal(err)
	}
	done := false
	withdraw = func() {
		if !done {
			sys.withdraw(fd)
			done = true
		}
	}
	t.Cleanup(withdraw)
	return withdraw
}

func TestStreamAnnouncedHolderWithDeadPidIsNotTakenOver(t *testing.T) {
	name := qName(t)
	s := pOpenStream(t, name, OpenOptions{Create: true, Size: 4096})
	if err := s.Write(TypeString, []byte("holder's")); err != nil {
		t.Fatal(err)
	}
	dead := qDeadPid(t)
	gone := announceElsewhere(t, name, s.mem, dead)
	atomic.StoreUint32(s.lockWord(), dead) // it is in the middle of a write
	for _, op := range []string{"write", "read"} {
		start := time.Now()
		var err error
		if op == "write" {
			err = s.Write(TypeString, []byte("intruder"))
		} else {
			_, _, err = s.Read(TypeString, make([]byte, 64))
		}
		qWantKind(t, err, KindLockTimeout)
		if took := time.Since(start); took < 200*time.Millisecond {
			t.Errorf("%s gave up after %v, before the timeout", op, took)
		}
		if got := atomic.LoadUint32(s.lockWord()); got != dead {
			t.Fatalf("%s: lock word %d, want the live holder %d", op, got, dead)
		}
	}
	// The holder dies: nothing announces it any more and its pid is gone, so it is taken over.
	gone()
	start := time.Now()
	if err := s.Write(TypeString, []byte("after")); err != nil {
		t.Fatalf("write after the holder died: %v", err)
	}
	if took := time.Since(start); took > 150*time.Millisecond {
		t.Errorf("takeover took %v", took)
	}
	buf := make([]byte, 64)
	if n, _, err := s.Read(TypeString, buf); err != nil || string(buf[:n]) != "after" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestQueueAnnouncedHolderWithDeadPidIsNotTakenOver(t *testing.T) {
	for _, off := range []int{qProducerLock, qConsumerLock} {
		t.Run(lockName(off), func(t *testing.T) {
			name := qName(t)
			q := qOpen(t, name, OpenOptions{Create: true}, QueueOptions{Layout: LayoutV2, Capacity: 2, MaxMessageSize: 4, LockTimeout: 200 * time.Millisecond})
			qEnq(t, q, "m")
			dead := qDeadPid(t)
			gone := announceElsewhere(t, name, q.mem, dead)
			atomic.StoreUint32(q.word(off), dead)
			var err error
			if off == qProducerLock {
				_, err = q.Enqueue([]byte("x"))
			} else {
				_, _, err = q.Dequeue(make([]byte, 4))
			}
			qWantKind(t, err, KindLockTimeout)
			if got := atomic.LoadUint32(q.word(off)); got != dead {
				t.Fatalf("lock word %d, want the live holder %d", got, dead)
			}
			gone()
			if got := qDeq(t, q); got != "m" {
				t.Fatalf("dequeued %q after the holder died", got)
			}
		})
	}
}

func TestPresenceLastsUntilClose(t *testing.T) {
	name := qName(t)
	a := pOpenStream(t, name, OpenOptions{Create: true, Size: 4096})
	b := pOpenStream(t, name, OpenOptions{})
	if held, known := sys.announced(b.presence.fd, ownTag); !known || !held {
		t.Fatalf("announced(own pid) = %v, %v with another stream open; want true, true", held, known)
	}
	a.Close()
	a.Close() // twice is fine
	if held, known := sys.announced(b.presence.fd, ownTag); !known || held {
		t.Fatalf("announced(own pid) = %v, %v after the other stream closed; want false, true (a descriptor's own lock does not count)", held, known)
	}
}

func TestHolderJudgement(t *testing.T) {
	name := qName(t)
	s := pOpenStream(t, name, OpenOptions{Create: true, Size: 4096})
	dead := qDeadPid(t)
	cases := []struct {
		what   string
		p      *presence
		holder uint32
		dead   bool
	}{
		{"a reaped pid nobody announces", s.presence, dead, true},
		{"ourselves", s.presence, ownTag, false},
		{"the C++ library's 1", s.presence, anonymousHolder, false},
		{"free", s.presence, 0, false},
		{"a read-only mapping (no presence)", nil, dead, false},
		{"an OS without OFD locks", &presence{fd: -1}, dead, false},
	}
	for _, c := range cases {
		if got := c.p.holderDead(c.holder); got != c.dead {
			t.Errorf("%s: holderDead = %v, want %v", c.what, got, c.dead)
		}
	}
	r := pOpenStream(t, name, OpenOptions{ReadOnly: true})
	if r.presence != nil {
		t.Error("a read-only stream announced itself")
	}
}

// A name that leads to another file than the one mapped (removed and made again in between) is
// not announced on: peers on the mapped file would not see it.
func TestAnnounceRefusesAReplacedName(t *testing.T) {
	name := qName(t)
	s := pOpenStream(t, name, OpenOptions{Create: true, Size: 4096})
	if err := os.Remove("/dev/shm/" + name); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/dev/shm/"+name, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := sys.announce(name, s.mem, ownTag)
	e := qWantKind(t, err, KindOS)
	if e.Errno != unix.ENOENT {
		t.Fatalf("errno %v, want ENOENT: %v", e.Errno, err)
	}
}

// The mapping's file is found by PROCMAP_QUERY where the kernel has it, and by the text of
// /proc/self/maps otherwise; both must agree, for the right file and for another one.
func TestMapsFileBothWays(t *testing.T) {
	name := qName(t)
	s := pOpenStream(t, name, OpenOptions{Create: true, Size: 4096})
	var right, wrong unix.Stat_t
	if err := unix.Stat("/dev/shm/"+name, &right); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat("/proc/self/exe", &wrong); err != nil {
		t.Fatal(err)
	}
	addr := uintptr(unsafe.Pointer(&s.mem[0]))
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc")
	}
	defer maps.Close()
	q := procmapQuery{queryAddr: uint64(addr)}
	q.size = uint64(unsafe.Sizeof(q))
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, maps.Fd(), procmapQueryIoctl, uintptr(unsafe.Pointer(&q))); errno != 0 {
		t.Logf("PROCMAP_QUERY: %v (kernel before 6.11): only the text is tested", errno)
	} else if q.vmaStart != uint64(addr) || q.inode != right.Ino {
		t.Fatalf("PROCMAP_QUERY found the mapping at %#x, inode %d; want %#x, inode %d", q.vmaStart, q.inode, addr, right.Ino)
	}
	for _, c := range []struct {
		st   unix.Stat_t
		want bool
	}{{right, true}, {wrong, false}} {
		if got := mapsFile(addr, c.st); got != c.want {
			t.Errorf("mapsFile(inode %d) = %v, want %v", c.st.Ino, got, c.want)
		}
		if got := mapsText(addr, c.st); got != c.want {
			t.Errorf("mapsText(inode %d) = %v, want %v", c.st.Ino, got, c.want)
		}
	}
}
