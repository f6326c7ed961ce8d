//go:build linux

/* The fast path's cross-process wake on Linux: a shared futex (keyed by the file and offset of the
 * mapping, so never FUTEX_PRIVATE_FLAG), as the engine's futex_linux.go does. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fast_guard.h"

void lsm_fast_wake(uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }
