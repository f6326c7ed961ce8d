// Presence where process ids are machine-wide (Windows and macOS have no PID namespaces): the pid
// a holder stores already says all there is to know, so there is nothing to announce.

//go:build windows || darwin

package goshm

// Linux announces presence with open-file-description locks only because a pid means nothing in
// another PID namespace (lock.go). Here every process that can map a segment sees the same pids,
// so a holder whose pid is not a live process is dead, and holderDead may rest on pidAlive alone:
// announce succeeds with a descriptor that stands for "pids decide" (not -1, which would mean
// that no holder is ever judged dead), and announced answers, with certainty, that no other
// presence needs asking. A pid reused by a new process makes a dead holder look alive: its lock
// then times out (ERR_SHM_LOCK_TIMEOUT) instead of being taken over, which is safe.
const pidsDecide = 0

func (osImpl) announce(name string, mem []byte, tag uint32) (fd int, unsupported bool, err error) {
	return pidsDecide, false, nil
}

func (osImpl) announced(fd int, tag uint32) (held, known bool) { return false, true }

func (osImpl) withdraw(fd int) {}
