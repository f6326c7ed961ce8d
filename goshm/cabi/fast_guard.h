/* The per-OS half of the stream fast path (fast.c), behind one small interface: whether the fast
 * path may run at all, the fault guard around its accesses to a mapping, and the cross-process
 * wake of a v2 writer. fast.c itself includes no OS header.
 *
 * POSIX (fast_guard_posix.c): a SIGBUS/SIGSEGV handler, chained to the handlers installed before
 * it, jumps back to the guarded call when a fault hits a guarded range on the guarded thread.
 * Elsewhere (Windows for now) there is no guard, fast_ready() is 0 and every call takes the engine's
 * way, which has its own fault handling. */
#ifndef GOSHM_FAST_GUARD_H
#define GOSHM_FAST_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "goshm.h"

#if defined(__unix__) || defined(__APPLE__)
#include <setjmp.h>

struct fast_guard {
  sigjmp_buf env;
  uintptr_t lo, hi;   /* the mapping */
  uintptr_t blo, bhi; /* the caller's buffer (may itself be shared memory) */
};

/* The guard of the calling thread, read by the signal handler. Initial-exec TLS: a plain
 * thread-pointer-relative load, safe in a signal handler on any thread. */
extern __thread struct fast_guard* volatile lsm_current_guard __attribute__((tls_model("initial-exec")));
/* 0 not yet decided, 1 available, -1 unavailable. */
extern int lsm_fast_state;
void lsm_fast_install(void);

/* Sets the jump point; evaluates to non-zero when the guarded code faulted and control came back
 * here. Must be expanded in the frame that stays alive across the guarded accesses. */
#define FAST_GUARD_FAULTED(g) (sigsetjmp((g)->env, 0) != 0)

static inline int fast_ready(void) {
  int s = __atomic_load_n(&lsm_fast_state, __ATOMIC_ACQUIRE);
  if (__builtin_expect(s == 0, 0)) {
    lsm_fast_install();
    s = __atomic_load_n(&lsm_fast_state, __ATOMIC_ACQUIRE);
  }
  return s > 0;
}

/* arm/disarm publish the guard to the handler; the signal fences keep the compiler from moving
 * accesses to the mapping across them (the handler runs on this thread, in program order). */
static inline void fast_arm(struct fast_guard* g, const lsm_fast* f, const void* buf, size_t len) {
  g->lo = (uintptr_t)f->base;
  g->hi = g->lo + (uintptr_t)f->size;
  g->blo = (uintptr_t)buf;
  g->bhi = g->blo + len;
  lsm_current_guard = g;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void fast_disarm(void) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  lsm_current_guard = NULL;
}

#else

struct fast_guard {
  int unused;
};
#define FAST_GUARD_FAULTED(g) 0
static inline int fast_ready(void) { return 0; }
static inline void fast_arm(struct fast_guard* g, const lsm_fast* f, const void* buf, size_t len) {
  (void)g, (void)f, (void)buf, (void)len;
}
static inline void fast_disarm(void) {}

#endif

/* Wakes every waiter, in any process, on a word of a shared mapping (fast_wake_<os>.c). */
void lsm_fast_wake(uint32_t* word);

#endif
