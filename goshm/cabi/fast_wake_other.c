//go:build !linux && !darwin

/* Elsewhere the engine's waiters poll (goshm futex_other.go): a write has no one to wake. */
#include "fast_guard.h"

void lsm_fast_wake(uint32_t* word) { (void)word; }

/* Streams do not follow their names here (the engine cannot tell objects apart): no clock needed. */
uint64_t lsm_fast_now_ns(void) { return 0; }
