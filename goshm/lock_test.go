// Tests the v2 write lock: concurrent writers and readers, lock timeouts, and dead-holder recovery.

//go:build linux

package goshm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

// v2 header offsets (SPEC §3.1), read and written raw to play the part of other processes.
const (
	offRevision = 4
	offAck      = 8
	offSize     = 12
	offLock     = 16
	offData     = 20
)

func u32at(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

func openV2(t testing.TB, name string, o goshm.OpenOptions, timeout time.Duration) *goshm.Stream {
	t.Helper()
	s, err := goshm.OpenStream(name, o, goshm.StreamOptions{Layout: goshm.LayoutV2, LockTimeout: timeout})
	if err != nil {
		t.Fatalf("open %q: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// selfChecking builds a payload that proves its own integrity: writer id and counter, the type it
// was written with, a pattern derived from both, and a CRC-32 of everything before it. A torn
// read (the start of one write with the end or the size of another) fails at least one check.
// Its length varies with the counter so that a size field from another write shows up too.
func selfChecking(buf []byte, writer, i uint32, typ uint8) []byte {
	n := 8 + 1 + int((i*37+writer*101)%700) + 4
	p := buf[:n]
	binary.LittleEndian.PutUint64(p, uint64(writer)<<32|uint64(i))
	p[8] = typ
	for k := 9; k < n-4; k++ {
		p[k] = byte(int(writer)*31 + int(i) + k)
	}
	binary.LittleEndian.PutUint32(p[n-4:], crc32.ChecksumIEEE(p[:n-4]))
	return p
}

// checkPayload verifies a payload from selfChecking against the flags read with it and returns
// its writer and counter.
func checkPayload(p []byte, flags uint8) (writer, i uint32, err error) {
	if len(p) < 13 {
		return 0, 0, fmt.Errorf("payload of %d bytes is shorter than any write", len(p))
	}
	n := len(p)
	if got, want := crc32.ChecksumIEEE(p[:n-4]), binary.LittleEndian.Uint32(p[n-4:]); got != want {
		return 0, 0, fmt.Errorf("torn payload of %d bytes: crc %08x, stored %08x", n, got, want)
	}
	id := binary.LittleEndian.Uint64(p)
	writer, i = uint32(id>>32), uint32(id)
	if flags&^goshm.FlagChanged != p[8] {
		return 0, 0, fmt.Errorf("flags %#b read with a payload written as type %d", flags, p[8])
	}
	return writer, i, nil
}

// Several writers and readers, each with its own Stream (its own mapping, as separate processes
// would have), hammer one v2 segment. Writers must serialise on the lock and readers must never
// see a torn payload, nor a writer's counter go backwards. Run it under -race as well: the
// shared bytes are outside the Go heap, so the race detector checks the test's own bookkeeping
// and the engine's per-Stream state rather than the segment.
func TestConcurrentWritersAndReaders(t *testing.T) {
	const (
		writers = 3
		readers = 3
		ops     = 3000
	)
	name := segName(t, "")
	openV2(t, name, goshm.OpenOptions{Size: 4096, Create: true}, 5*time.Second)

	start := make(chan struct{})
	var wg, writing sync.WaitGroup
	var writersDone atomic.Bool
	var checked atomic.Int64 // non-empty payloads the readers verified
	for w := uint32(1); w <= writers; w++ {
		s := openV2(t, name, goshm.OpenOptions{Size: 4096, Create: true}, 5*time.Second)
		wg.Add(1)
		writing.Add(1)
		go func() {
			defer wg.Done()
			defer writing.Done()
			buf := make([]byte, 4096)
			<-start
			for i := uint32(0); i < ops; i++ {
				typ := goshm.TypeString
				if i%2 == 1 {
					typ = goshm.TypeDouble
				}
				if err := s.Write(typ, selfChecking(buf, w, i, typ)); err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	for r := 0; r < readers; r++ {
		s := openV2(t, name, goshm.OpenOptions{}, 5*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			last := make(map[uint32]uint32)
			<-start
			// At least ops reads, and on until the writers finish, so reads overlap writes.
			for k := 0; k < ops || !writersDone.Load(); k++ {
				n, flags, err := s.Read(goshm.TypeString, buf)
				if err != nil {
					t.Errorf("reader %d, read %d: %v", r, k, err)
					return
				}
				if n == 0 && flags == 0 {
					continue // nothing written yet
				}
				w, i, err := checkPayload(buf[:n], flags)
				if err != nil {
					t.Errorf("reader %d, read %d: %v", r, k, err)
					return
				}
				if prev, seen := last[w]; seen && i < prev {
					t.Errorf("reader %d: writer %d's counter went back from %d to %d", r, w, prev, i)
					return
				}
				last[w] = i
				checked.Add(1)
			}
		}()
	}
	close(start)
	writing.Wait()
	writersDone.Store(true)
	wg.Wait()
	if t.Failed() {
		return
	}
	if checked.Load() == 0 {
		t.Error("no reader ever saw a payload: the test proved nothing")
	}
	t.Logf("%d writes, %d payloads verified by readers", writers*ops, checked.Load())

	img := fileBytes(t, name)
	if rev := u32at(img, offRevision); rev != writers*ops {
		t.Errorf("revision %d after %d writes: writes were lost or doubled", rev, writers*ops)
	}
	if l := u32at(img, offLock); l != 0 {
		t.Errorf("lock word %d after all writers finished", l)
	}
	size := u32at(img, offSize)
	if _, i, err := checkPayload(img[offData:offData+int(size)], img[0]); err != nil || i != ops-1 {
		t.Errorf("final payload: counter %d, %v; want the last write of a writer", i, err)
	}
}

// A lock that stays held must end in KindLockTimeout after about LockTimeout, for writers and
// readers, naming the segment and the holder, and without touching the segment. Holders that
// are alive, or that cannot be identified (the C++ library stores 1), are never taken over.
func TestLockTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	tests := []struct {
		name   string
		holder uint32
		who    string // what the message must say about the holder
	}{
		{"libsharedmemory", 1, "does not record its id"},
		{"own pid", uint32(os.Getpid()), "process " + strconv.Itoa(os.Getpid())},
		{"live child", uint32(sleeper.Process.Pid), "process " + strconv.Itoa(sleeper.Process.Pid)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := segName(t, "")
			w := openV2(t, name, goshm.OpenOptions{Size: 256, Create: true}, timeout)
			mustWrite(t, w, goshm.TypeString, []byte("before"))
			binary.LittleEndian.PutUint32(w.Segment().Bytes()[offLock:], tc.holder)
			before := fileBytes(t, name)

			t0 := time.Now()
			err := w.Write(goshm.TypeString, []byte("after"))
			checkTimeout(t, "Write", err, time.Since(t0), timeout, name, tc.who)

			r := openV2(t, name, goshm.OpenOptions{}, timeout)
			t0 = time.Now()
			n, _, err := r.Read(goshm.TypeString, make([]byte, 64))
			checkTimeout(t, "Read", err, time.Since(t0), timeout, name, tc.who)
			if n != 0 {
				t.Errorf("Read returned size %d with its timeout", n)
			}

			if after := fileBytes(t, name); !bytes.Equal(before, after) {
				t.Fatalf("timed-out calls changed the segment (holder taken over?)\nbefore %x\n after %x", before, after)
			}
			// Once the holder lets go, everything works again.
			binary.LittleEndian.PutUint32(w.Segment().Bytes()[offLock:], 0)
			mustWrite(t, w, goshm.TypeString, []byte("after"))
			if got, _ := mustRead(t, r, goshm.TypeString); string(got) != "after" {
				t.Errorf("after release read %q", got)
			}
		})
	}
}

func checkTimeout(t *testing.T, op string, err error, took, timeout time.Duration, name, who string) {
	t.Helper()
	e := wantKind(t, err, goshm.KindLockTimeout)
	if e.Code() != "ERR_SHM_LOCK_TIMEOUT" {
		t.Errorf("%s: Code() = %q", op, e.Code())
	}
	if e.Segment != name || !strings.Contains(e.Msg, name) {
		t.Errorf("%s: error %q does not name the segment %q", op, e.Msg, name)
	}
	if !strings.Contains(e.Msg, who) {
		t.Errorf("%s: error %q does not say %q", op, e.Msg, who)
	}
	// Generous upper bound: the point is "about LockTimeout", not "forever" or "the 1 s default".
	if took < timeout || took > timeout+400*time.Millisecond {
		t.Errorf("%s gave up after %v, want about %v", op, took, timeout)
	}
}

// deadPid returns the id of a process that has exited and been reaped.
func deadPid(t *testing.T) uint32 {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("pid %d of a reaped child still answers kill(0): %v", pid, err)
	}
	return uint32(pid)
}

// tornImage is a v2 segment whose writer died mid-write: "hello" was complete at revision 1,
// then a writer (pid holder) took the lock and copied part of a longer payload over it before
// being killed, so neither the size, the flags nor the revision moved.
func tornImage(holder uint32) []byte {
	img := make([]byte, 256)
	img[0] = goshm.FlagChanged | goshm.TypeString
	binary.LittleEndian.PutUint32(img[offRevision:], 1)
	binary.LittleEndian.PutUint32(img[offSize:], 5)
	binary.LittleEndian.PutUint32(img[offLock:], holder)
	copy(img[offData:], "WORLD-") // was "hello"; "-WIDE" never arrived
	return img
}

// A holder that died (its pid is gone) is taken over after the grace period instead of blocking
// everyone forever, and the torn payload is replaced by an empty one under a new revision, so no
// reader ever returns "WORLD" as a message.
func TestLockRecoveryFromDeadHolder(t *testing.T) {
	const grace = 50 * time.Millisecond // lockGrace in lock.go
	dead := deadPid(t)

	t.Run("writer takes over", func(t *testing.T) {
		name := segName(t, "")
		plant(t, name, tornImage(dead))
		w := openV2(t, name, goshm.OpenOptions{Size: 256, Create: true}, time.Second)
		t0 := time.Now()
		mustWrite(t, w, goshm.TypeString, []byte("fresh"))
		if took := time.Since(t0); took < grace || took > 800*time.Millisecond {
			t.Errorf("Write took %v; want the %v grace and not much more", took, grace)
		}
		img := fileBytes(t, name)
		if l := u32at(img, offLock); l != 0 {
			t.Errorf("lock word %d after the write", l)
		}
		// One revision for the repair, one for the write.
		if rev := u32at(img, offRevision); rev != 3 {
			t.Errorf("revision %d, want 3", rev)
		}
		if got, f := mustRead(t, w, goshm.TypeString); string(got) != "fresh" || f != 0b011 {
			t.Errorf("Read = %q, flags %#b; want \"fresh\", 0b11", got, f)
		}
	})

	t.Run("reader repairs", func(t *testing.T) {
		name := segName(t, "")
		plant(t, name, tornImage(dead))
		r := openV2(t, name, goshm.OpenOptions{}, time.Second)
		for k := 0; k < 2; k++ { // the second read finds the segment already repaired
			buf := bytes.Repeat([]byte{'.'}, 64)
			n, f, err := r.Read(goshm.TypeString, buf)
			if err != nil {
				t.Fatalf("read %d: %v", k, err)
			}
			if n != 0 || bytes.Contains(buf, []byte("WORLD")) {
				t.Fatalf("read %d returned %d bytes %q: the torn payload", k, n, buf[:n])
			}
			if f&^goshm.FlagChanged != 0 {
				t.Errorf("read %d: flags %#b still carry a type bit for an empty repair payload", k, f)
			}
		}
		img := fileBytes(t, name)
		if rev := u32at(img, offRevision); rev != 2 {
			t.Errorf("revision %d after the repair, want 2 (one more than before)", rev)
		}
		if size, l := u32at(img, offSize), u32at(img, offLock); size != 0 || l != 0 {
			t.Errorf("after the repair size %d, lock %d; want 0, 0", size, l)
		}
	})

	// A read-only mapping cannot store into the lock word: it must wait for a writer to repair the
	// segment and time out, not fault on the store and blame a truncation.
	t.Run("read-only reader waits", func(t *testing.T) {
		const timeout = 150 * time.Millisecond // past the grace, so the take-over path is reached
		name := segName(t, "")
		img := tornImage(dead)
		plant(t, name, img)
		r := openV2(t, name, goshm.OpenOptions{ReadOnly: true}, timeout)
		done := make(chan error, 1)
		go func() {
			_, _, err := r.Read(goshm.TypeString, make([]byte, 64))
			done <- err
		}()
		select {
		case err := <-done:
			wantKind(t, err, goshm.KindLockTimeout)
		case <-time.After(2 * time.Second):
			// Free the stuck reader the way another process would, by clearing the lock word
			// through the file, so that it does not spin for the rest of the test run.
			f, err := os.OpenFile(shmPath(name), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(make([]byte, 4), offLock)
			f.Close()
			<-done
			t.Fatalf("a read-only Read with a %v LockTimeout was still waiting on a dead holder after 2 s", timeout)
		}
		if after := fileBytes(t, name); !bytes.Equal(after, img) {
			t.Errorf("a read-only reader changed the segment\nbefore %x\n after %x", img, after)
		}
	})
}
