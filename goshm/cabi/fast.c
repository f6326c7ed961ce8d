/* The stream fast path (see lsm_fast in goshm.h): the uncontended, valid case of a stream write,
 * read or flags look, in plain C, so that the caller does not pay for cgo's C -> Go transition.
 * Every function mirrors the engine (goshm/stream.go Write, Read, readV2, Flags; goshm/lock.go;
 * goshm/layout.go fields, nextFlags) and returns LSM_FAST_SLOW whenever the case is not the simple
 * one; the caller then makes the same call through the Go export, which does the waiting and the
 * error reporting. There is no second copy of any error here.
 *
 * Fault guard. The engine promises that the host never dies of what another process does to a
 * segment (truncating it makes accesses past the new end SIGBUS). Go's SetPanicOnFault covers only
 * Go code, so accesses to the mapping here run under a guard: a thread-local pointer to a
 * sigsetjmp point and the guarded ranges: the mapping, and the caller's buffer (which may itself be
 * shared memory, e.g. a view over a raw segment's .buffer; the engine's SetPanicOnFault turns a
 * fault there into ERR_SHM_FAULT too). A SIGBUS/SIGSEGV handler, installed on first use (after
 * the Go runtime's, which is initialised before any stream is open), jumps back when a guard is
 * armed on the faulting thread and the address lies in a guarded range; every other fault is
 * passed on, unchanged, to the handler that was installed before it (Go's, which forwards faults
 * outside Go to the host's). The caller then makes the engine call, which meets the fault again
 * and reports it as ERR_SHM_FAULT. */
#define _GNU_SOURCE
#include <endian.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "goshm.h"

/* Offsets of layout v2 (goshm/layout.go). */
enum { V2_REVISION = 4, V2_SIZE = 12, V2_LOCK = 16, V2_DATA = 20, HINT_REVISION = 1 };
enum { TYPE_STRING = 2, TYPE_FLOAT = 4, TYPE_DOUBLE = 8, TYPE_BYTES = 16, FLAG_CHANGED = 1 };
/* The largest payload the fast path copies; larger ones go the engine's way. Up to here glibc's
 * memcpy uses vector moves; above (from 2112 bytes on CPUs with FSRM) it switches to `rep movsb`,
 * which on AMD Zen 3/4 runs up to 12x slower when the destination lies a few bytes after the
 * source modulo 64 (glibc bug 30994; payloads sit at offset 20 of the mapping). At 2 KiB the 70 ns
 * of the Go call are a small part of the copy anyway, and Go's memmove has no such case. */
enum { FAST_COPY_MAX = 2048 };
/* How often a v2 read retries (the lock held, or a write overlapping the copy) before it leaves
 * the waiting to the engine. */
enum { READ_TRIES = 16 };

/* ---- the guard ---------------------------------------------------------------------------- */

struct guard {
  sigjmp_buf env;
  uintptr_t lo, hi;   /* the mapping */
  uintptr_t blo, bhi; /* the caller's buffer */
};

/* Initial-exec TLS: a plain thread-pointer-relative load, safe in a signal handler on any thread
 * (the global-dynamic model may allocate on a thread's first access). Eight bytes of static TLS;
 * the Go runtime in this library uses initial-exec TLS already. */
static __thread struct guard* volatile current_guard __attribute__((tls_model("initial-exec")));

static struct sigaction prev_bus, prev_segv;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int fast_state; /* 0 not yet, 1 available, -1 unavailable (the slow path does everything) */

static void pass_on(int sig, siginfo_t* info, void* uc) {
  struct sigaction* prev = sig == SIGBUS ? &prev_bus : &prev_segv;
  /* Run the previous handler with the mask it asked for (the kernel restores ours at sigreturn). */
  sigset_t mask = prev->sa_mask;
  if (!(prev->sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
  if (prev->sa_flags & SA_SIGINFO) {
    if (prev->sa_sigaction != NULL) {
      pthread_sigmask(SIG_BLOCK, &mask, NULL);
      prev->sa_sigaction(sig, info, uc);
      return;
    }
  } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    prev->sa_handler(sig);
    return;
  }
  /* Default action (or ignored): put the previous disposition back. A fault re-executes and meets
   * it; a signal sent by someone is sent again (it is blocked here, so it arrives at sigreturn). */
  sigaction(sig, prev, NULL);
  if (info == NULL || info->si_code <= 0) raise(sig);
}

static void on_fault(int sig, siginfo_t* info, void* uc) {
  struct guard* g = current_guard;
  /* si_code > 0: raised by the kernel for this access, not sent with kill(). */
  if (g != NULL && info != NULL && info->si_code > 0) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    if ((addr >= g->lo && addr < g->hi) || (addr >= g->blo && addr < g->bhi)) {
      current_guard = NULL;
      /* siglongjmp(env saved without the mask) leaves the handler's mask in place: restore the
       * interrupted code's mask, which the kernel saved in the context. */
      pthread_sigmask(SIG_SETMASK, &((ucontext_t*)uc)->uc_sigmask, NULL);
      siglongjmp(g->env, 1);
    }
  }
  pass_on(sig, info, uc);
}

static int install_one(int sig, struct sigaction* prev) {
  struct sigaction sa;
  if (sigaction(sig, NULL, prev) != 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_mask = prev->sa_mask;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (prev->sa_flags & (SA_RESTART | SA_NODEFER));
  return sigaction(sig, &sa, NULL);
}

static void install(void) {
  const char* off = getenv("LSM_NO_FAST_PATH");
  if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) {
    __atomic_store_n(&fast_state, -1, __ATOMIC_RELEASE);
    return;
  }
  if (install_one(SIGBUS, &prev_bus) != 0) {
    __atomic_store_n(&fast_state, -1, __ATOMIC_RELEASE);
    return;
  }
  if (install_one(SIGSEGV, &prev_segv) != 0) {
    sigaction(SIGBUS, &prev_bus, NULL);
    __atomic_store_n(&fast_state, -1, __ATOMIC_RELEASE);
    return;
  }
  __atomic_store_n(&fast_state, 1, __ATOMIC_RELEASE);
}

static inline int fast_ready(void) {
  int s = __atomic_load_n(&fast_state, __ATOMIC_ACQUIRE);
  if (__builtin_expect(s == 0, 0)) {
    pthread_once(&install_once, install);
    s = __atomic_load_n(&fast_state, __ATOMIC_ACQUIRE);
  }
  return s > 0;
}

/* arm/disarm publish the guard to the handler; the signal fences keep the compiler from moving
 * accesses to the mapping across them (the handler runs on this thread, in program order). */
static inline void arm(struct guard* g, const lsm_fast* f, const void* buf, size_t len) {
  g->lo = (uintptr_t)f->base;
  g->hi = g->lo + (uintptr_t)f->size;
  g->blo = (uintptr_t)buf;
  g->bhi = g->blo + len;
  current_guard = g;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void disarm(void) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  current_guard = NULL;
}

/* ---- layouts ------------------------------------------------------------------------------ */

/* goshm/layout.go fields(). */
static inline void fields(int32_t layout, uint8_t type, size_t* size_at, size_t* data_at) {
  if (layout == 2) {
    *size_at = V2_SIZE, *data_at = V2_DATA;
  } else if (layout == 1 || (type & (TYPE_STRING | TYPE_BYTES)) != 0) {
    *size_at = 1, *data_at = 5;
  } else if (type & TYPE_FLOAT) {
    *size_at = 4, *data_at = 20;
  } else if (type & TYPE_DOUBLE) {
    *size_at = 8, *data_at = 40;
  } else {
    *size_at = 1, *data_at = 5;
  }
}

static inline uint8_t next_flags(uint8_t old, uint8_t type) {
  return (uint8_t)(((old & FLAG_CHANGED) ^ FLAG_CHANGED) | type);
}

static inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return le32toh(v);
}

static inline void put_u32(uint8_t* p, uint32_t v) {
  v = htole32(v);
  memcpy(p, &v, sizeof v);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* ---- the fast functions ------------------------------------------------------------------- */

/* A write that faulted while holding the v2 lock releases it if the word is still reachable, as
 * the engine's deferred unlock does. */
static void release_after_fault(lsm_fast* f) {
  struct guard g;
  if (sigsetjmp(g.env, 0) != 0) return;
  arm(&g, f, NULL, 0);
  __atomic_store_n((uint32_t*)(f->base + V2_LOCK), 0, __ATOMIC_SEQ_CST);
  disarm();
}

int32_t lsm_fast_write(lsm_fast* f, uint32_t type32, const void* data, size_t n) {
  if (f == NULL || f->read_only || n > FAST_COPY_MAX || !fast_ready()) return LSM_FAST_SLOW;
  uint8_t type = (uint8_t)type32;
  uint8_t* mem = f->base;
  size_t size_at, data_at;
  fields(f->layout, type, &size_at, &data_at);
  if (data_at > f->size || n > f->size - data_at) return LSM_FAST_SLOW; /* too large: reported there */
  struct guard g;
  volatile int locked = 0;
  if (sigsetjmp(g.env, 0) != 0) {
    if (locked) release_after_fault(f);
    return LSM_FAST_SLOW; /* the engine meets the fault too and reports it */
  }
  arm(&g, f, data, n);
  if (f->layout == 2) {
    uint32_t* lock = (uint32_t*)(mem + V2_LOCK);
    uint32_t* rev = (uint32_t*)(mem + V2_REVISION);
    uint32_t free_word = 0;
    if (!__atomic_compare_exchange_n(lock, &free_word, f->tag, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
      disarm();
      return LSM_FAST_SLOW; /* held: the engine waits, times out or takes over */
    }
    locked = 1;
    memcpy(mem + data_at, data, n);
    put_u32(mem + size_at, (uint32_t)n);
    mem[0] = next_flags(mem[0], type);
    /* The revision moves last: a reader that sees it move sees the whole write. */
    __atomic_add_fetch(rev, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(mem + HINT_REVISION, __ATOMIC_RELAXED) != 0) {
      syscall(SYS_futex, rev, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); /* shared futex: not PRIVATE */
    }
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
    locked = 0;
  } else {
    /* v1 and v0 have no lock; the flags byte goes last because peers poll it. */
    memcpy(mem + data_at, data, n);
    put_u32(mem + size_at, (uint32_t)n);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mem[0] = next_flags(mem[0], type);
  }
  disarm();
  return 0;
}

int64_t lsm_fast_read(lsm_fast* f, uint32_t type32, void* dst, size_t cap, uint32_t* flags) {
  if (f == NULL || !fast_ready()) return LSM_FAST_SLOW;
  uint8_t* mem = f->base;
  const uint64_t size = f->size;
  struct guard g;
  if (sigsetjmp(g.env, 0) != 0) return LSM_FAST_SLOW;
  arm(&g, f, dst, cap);
  int64_t result = LSM_FAST_SLOW;
  if (f->layout == 2) {
    /* goshm/stream.go readV2: a sequence-lock read. */
    uint32_t* rev = (uint32_t*)(mem + V2_REVISION);
    uint32_t* lock = (uint32_t*)(mem + V2_LOCK);
    for (int tries = 0; tries < READ_TRIES; tries++) {
      uint32_t r = __atomic_load_n(rev, __ATOMIC_SEQ_CST);
      if (__atomic_load_n(lock, __ATOMIC_SEQ_CST) != 0) {
        cpu_relax();
        continue;
      }
      uint8_t fl = __atomic_load_n(mem, __ATOMIC_RELAXED);
      uint32_t n = get_u32(mem + V2_SIZE);
      int valid = (uint64_t)n <= size - V2_DATA;
      if (valid && n <= cap && n > FAST_COPY_MAX) break; /* a large copy: the engine's */
      if (valid && n <= cap && n != 0) memcpy(dst, mem + V2_DATA, n);
      /* The copy's loads complete before the checks below. */
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (__atomic_load_n(lock, __ATOMIC_SEQ_CST) == 0 && __atomic_load_n(rev, __ATOMIC_SEQ_CST) == r) {
        if (valid) {
          if (n <= cap) f->seen = r, f->has_read = 1;
          *flags = fl;
          result = n;
        }
        break; /* an invalid size field: the engine reports it */
      }
      cpu_relax();
    }
  } else {
    uint8_t type = (uint8_t)type32;
    if (type == 0) type = mem[0] & (uint8_t)~FLAG_CHANGED; /* whatever the flags say was written last */
    size_t size_at, data_at;
    fields(f->layout, type, &size_at, &data_at);
    if (data_at <= size) {
      uint32_t n = get_u32(mem + size_at);
      if ((uint64_t)n <= size - data_at && !(n <= cap && n > FAST_COPY_MAX)) {
        if (n <= cap && n != 0) memcpy(dst, mem + data_at, n);
        *flags = mem[0];
        result = n;
      }
    }
  }
  disarm();
  return result;
}

int32_t lsm_fast_flags(lsm_fast* f) {
  if (f == NULL || !fast_ready()) return LSM_FAST_SLOW;
  struct guard g;
  if (sigsetjmp(g.env, 0) != 0) return LSM_FAST_SLOW;
  arm(&g, f, NULL, 0);
  int32_t v = f->base[0];
  disarm();
  return v;
}
