//go:build darwin

/* The fast path's cross-process wake on macOS: __ulock_wake on the shared word, as the engine's
 * ulock_darwin.go does, so that a fast-path write wakes a watcher waiting in __ulock_wait there.
 * libSystem exports __ulock_wake (libc++'s std::atomic wait on Apple calls it the same way); it
 * answers ENOENT when nobody waits, and ENOSYS before macOS 10.12, where the engine polls. Not yet
 * compiled or run on a Mac. */
#include "fast_guard.h"

extern int __ulock_wake(uint32_t operation, void* addr, uint64_t wake_value);

/* bsd/sys/ulock.h: the wait is keyed by the memory object, not the address, so it crosses processes. */
#define LSM_UL_COMPARE_AND_WAIT_SHARED 3
#define LSM_ULF_WAKE_ALL 0x00000100

void lsm_fast_wake(uint32_t* word) { __ulock_wake(LSM_UL_COMPARE_AND_WAIT_SHARED | LSM_ULF_WAKE_ALL, word, 0); }

/* Streams do not follow their names on macOS yet (goshm identity_other.go answers "unknown"): no
 * clock needed. */
uint64_t lsm_fast_now_ns(void) { return 0; }
