//go:build unix

/* The fault guard of the fast path on POSIX systems (see fast_guard.h and fast.c).
 *
 * The engine promises that the host never dies of what another process does to a segment
 * (truncating it makes accesses past the new end fault). Go's SetPanicOnFault covers only Go code,
 * so the fast path's accesses run under this guard: a thread-local pointer to a sigsetjmp point
 * and the guarded ranges. A SIGBUS/SIGSEGV handler, installed on first use (after the Go runtime's,
 * which is initialised before any stream is open), jumps back when a guard is armed on the
 * faulting thread and the address lies in a guarded range; every other fault is passed on,
 * unchanged, to the handler that was installed before it (Go's, which forwards faults outside Go
 * to the host's). The caller then makes the engine call, which meets the fault again and reports
 * it as ERR_SHM_FAULT. LSM_NO_FAST_PATH=1 in the environment turns the fast path off. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "fast_guard.h"

__thread struct fast_guard* volatile lsm_current_guard __attribute__((tls_model("initial-exec")));
int lsm_fast_state;

static struct sigaction prev_bus, prev_segv;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

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
  struct fast_guard* g = lsm_current_guard;
  /* si_code > 0: raised by the kernel for this access, not sent with kill(). */
  if (g != NULL && info != NULL && info->si_code > 0) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    if ((addr >= g->lo && addr < g->hi) || (addr >= g->blo && addr < g->bhi)) {
      lsm_current_guard = NULL;
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
  int state = 1;
  if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) {
    state = -1;
  } else if (install_one(SIGBUS, &prev_bus) != 0) {
    state = -1;
  } else if (install_one(SIGSEGV, &prev_segv) != 0) {
    sigaction(SIGBUS, &prev_bus, NULL);
    state = -1;
  }
  __atomic_store_n(&lsm_fast_state, state, __ATOMIC_RELEASE);
}

void lsm_fast_install(void) { pthread_once(&install_once, install); }
