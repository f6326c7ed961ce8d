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
 * it as ERR_SHM_FAULT. LSM_NO_FAST_PATH=1 in the environment turns the fast path off.
 *
 * A handler installed later over ours (libuv's, for process.on('SIGBUS')) would leave a kernel
 * fault nobody handles: libuv's notes it and returns, and the access faults again forever.
 * lsm_fast_reinstall puts ours back on top; kernel faults then still go to the first handler, and
 * signals sent with kill() to the newest one, so the application's listeners keep getting them. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __APPLE__
/* Apple's <ucontext.h> refuses to compile without _XOPEN_SOURCE (its routines are deprecated);
 * ucontext_t itself, all the handler reads, is in <sys/ucontext.h>. */
#include <sys/ucontext.h>
#else
#include <ucontext.h>
#endif

#include "fast_guard.h"

/* A fault the kernel raised for an access, not a signal sent with kill() or sigqueue(): Linux
 * numbers the codes of sent signals 0 and below, macOS from SI_USER (0x10001) up, and the fault
 * codes (SEGV_MAPERR, BUS_ADRERR, ...) are small positive numbers on both. */
#ifdef __APPLE__
#define FROM_KERNEL(code) ((code) > 0 && (code) < SI_USER)
#else
#define FROM_KERNEL(code) ((code) > 0)
#endif
_Static_assert(FROM_KERNEL(SEGV_MAPERR) && FROM_KERNEL(SEGV_ACCERR) && FROM_KERNEL(BUS_ADRERR) && FROM_KERNEL(BUS_OBJERR) &&
                   !FROM_KERNEL(SI_USER) && !FROM_KERNEL(SI_QUEUE),
               "the faults an access raises are told from the signals kill() and sigqueue() send");

__thread struct fast_guard* volatile lsm_current_guard __attribute__((tls_model("initial-exec")));
int lsm_fast_state;

/* The handlers found at the first install: the Go runtime's, which turns a fault in Go code into a
 * panic (ERR_SHM_FAULT) and forwards the others to the host's. Kernel faults always go there. */
static struct sigaction first_bus, first_segv;
/* The handler found on top at the latest reinstall (libuv's, for process.on('SIGBUS')), which gets
 * the signals sent with kill(): two slots each, so the handler never reads one being rewritten. */
static struct sigaction later_bus[2], later_segv[2];
static struct sigaction* volatile newest_bus = &first_bus;
static struct sigaction* volatile newest_segv = &first_segv;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t reinstall_lock = PTHREAD_MUTEX_INITIALIZER;

static void pass_on(int sig, siginfo_t* info, void* uc) {
  /* A fault raised by the kernel goes to the first handler, never to one installed
   * later: libuv's only notes the signal and returns, so the access would fault again forever. */
  int kernel = info != NULL && FROM_KERNEL(info->si_code);
  struct sigaction* prev = sig == SIGBUS ? (kernel ? &first_bus : newest_bus) : (kernel ? &first_segv : newest_segv);
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
  if (!kernel) raise(sig);
}

static void on_fault(int sig, siginfo_t* info, void* uc) {
  struct fast_guard* g = lsm_current_guard;
  if (g != NULL && info != NULL && FROM_KERNEL(info->si_code)) {
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

/* Puts on_fault on top of sig, with the mask and flags of the handler found there (*prev). */
static int install_one(int sig, struct sigaction* prev) {
  struct sigaction sa;
  if (sigaction(sig, NULL, prev) != 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_mask = prev->sa_mask;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (prev->sa_flags & (SA_RESTART | SA_NODEFER));
  return sigaction(sig, &sa, NULL);
}

static int on_top(int sig) {
  struct sigaction cur;
  return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault;
}

/* Puts on_fault back on top of sig when another handler replaced it, keeping that handler for the
 * signals sent with kill(); *newest then points at it. */
static void reinstall_one(int sig, struct sigaction later[2], struct sigaction* volatile* newest) {
  if (on_top(sig)) return;
  struct sigaction* slot = *newest == &later[0] ? &later[1] : &later[0];
  struct sigaction found;
  if (sigaction(sig, NULL, &found) != 0) return;
  *slot = found;
  __atomic_store_n(newest, slot, __ATOMIC_RELEASE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_mask = found.sa_mask;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (found.sa_flags & (SA_RESTART | SA_NODEFER));
  sigaction(sig, &sa, NULL);
}

static void install(void) {
  const char* off = getenv("LSM_NO_FAST_PATH");
  int state = 1;
  if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) {
    state = -1;
  } else if (install_one(SIGBUS, &first_bus) != 0) {
    state = -1;
  } else if (install_one(SIGSEGV, &first_segv) != 0) {
    sigaction(SIGBUS, &first_bus, NULL);
    state = -1;
  }
  __atomic_store_n(&lsm_fast_state, state, __ATOMIC_RELEASE);
}

void lsm_fast_install(void) { pthread_once(&install_once, install); }

int32_t lsm_fast_reinstall(void) {
  lsm_fast_install();
  if (__atomic_load_n(&lsm_fast_state, __ATOMIC_ACQUIRE) < 0) return 0;
  pthread_mutex_lock(&reinstall_lock);
  reinstall_one(SIGBUS, later_bus, &newest_bus);
  reinstall_one(SIGSEGV, later_segv, &newest_segv);
  int ok = on_top(SIGBUS) && on_top(SIGSEGV);
  pthread_mutex_unlock(&reinstall_lock);
  return ok;
}
