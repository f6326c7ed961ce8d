//go:build linux

/* The fast path's cross-process wake on Linux: a shared futex (keyed by the file and offset of the
 * mapping, so never FUTEX_PRIVATE_FLAG), as the engine's futex_linux.go does. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fast_guard.h"

void lsm_fast_wake(uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }

/* The coarse clock is a vDSO read of the last tick, with no system call and no TSC read: cheap
 * enough for every read of a following stream. Its resolution is the kernel's tick (1 to 4 ms),
 * which rounds the reads' check interval up to it. */
uint64_t lsm_fast_now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
