/* The queue fast path (see lsm_queue_fast in goshm.h): the uncontended, valid case of an enqueue,
 * a take and a length look, in plain C, so that a queue operation does not pay for cgo's C -> Go
 * transition. Each function mirrors the engine step for step (goshm/queue_ops.go Enqueue, take,
 * Len; queue_lock.go acquire/release; queue_watch.go countAdded) and returns LSM_FAST_SLOW,
 * having published nothing, whenever the case is not the simple one: the engine's call then
 * waits, takes over from a dead holder, follows the name or reports the error. There is no second
 * copy of any error here. */
#include <string.h>

#include "fast_guard.h"
#include "fast_le.h"
#include "goshm.h"

/* Larger messages go the engine's way: at that size the Go call is a small part of the copy, and
 * this file's plain memcpy has no guard against glibc's slow `rep movsb` distances (fast.c's
 * copy_bytes has, for streams, whose payloads run to megabytes). test/84 holds this split. */
enum { QUEUE_COPY_MAX = 2048 };

#if defined(_WIN32)
/* Go exports only its //export functions from a Windows DLL (see fast_export_windows.c). */
__asm__(".section .drectve\n"
        ".ascii \" -export:lsm_queue_fast_enqueue -export:lsm_queue_fast_take -export:lsm_queue_fast_len\"\n"
        ".text\n");
#endif

static inline uint32_t* word(const lsm_queue_fast* f, size_t off) { return (uint32_t*)(f->base + off); }

/* A following queue's look at its name is due: the engine's call makes it (fast.c reattach_due).
 * The cell's [0] is set by the engine's watchers too. */
static inline int reattach_due(lsm_queue_fast* f) {
  if (f->reattach == NULL) return 0;
  if (__atomic_load_n(&f->reattach[0], __ATOMIC_RELAXED) != 0) return 1;
  uint64_t now = lsm_fast_now_ns();
  if (now - f->checked_at < f->check_ns) return 0;
  f->checked_at = now;
  __atomic_store_n(&f->reattach[0], 1, __ATOMIC_RELAXED);
  return 1;
}

static inline int take_lock(lsm_queue_fast* f, size_t off) {
  uint32_t free_word = 0;
  return __atomic_compare_exchange_n(word(f, off), &free_word, f->tag, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline void release_lock(lsm_queue_fast* f, size_t off) { __atomic_store_n(word(f, off), 0, __ATOMIC_SEQ_CST); }

/* fast_arm takes an lsm_fast; the queue's mapping is armed with the same two fields. */
static inline void arm(struct fast_guard* g, const lsm_queue_fast* f, const void* buf, size_t len) {
  lsm_fast view;
  view.base = f->base;
  view.size = f->size;
  fast_arm(g, &view, buf, len);
}

/* A call that faulted holding a lock releases it if the word is still reachable, as the engine's
 * deferred release does; under a guard of its own, since the mapping may be what is gone. */
static void release_after_fault(lsm_queue_fast* f, size_t off) {
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return;
  arm(&g, f, NULL, 0);
  release_lock(f, off);
  fast_disarm();
}

/* queue_watch.go countAdded: the count moves after the slot changed hands, and waiters are woken
 * when the queue leaves the empty or the full state (consumers wait on empty, producers on full). */
static inline void count_added(lsm_queue_fast* f, uint32_t delta) {
  uint32_t* count = word(f, LSM_QUEUE_COUNT);
  uint32_t after = __atomic_add_fetch(count, delta, __ATOMIC_SEQ_CST);
  uint32_t before = after - delta;
  if (before == 0 || before == f->capacity) lsm_fast_wake(count);
}

int32_t lsm_queue_fast_enqueue(lsm_queue_fast* f, const void* data, size_t n) {
  /* A due check first: a message too large for this segment may fit the one the engine follows
   * to, and its call makes the check. Too large: the engine reports it (KindTooLarge). */
  if (f == NULL || !fast_ready() || reattach_due(f) || n > f->max_message || n > QUEUE_COPY_MAX) return LSM_FAST_SLOW;
  const int locks = f->layout == LSM_LAYOUT_V2;
  struct fast_guard g;
  /* Whether the lock was held when the guarded code faulted (volatile: read after the jump back).
   * Every fault ends in LSM_FAST_SLOW, and the engine's call meets the fault and reports it. The
   * header words share one page, so a fault after writeIndex was stored means the whole header is
   * gone; before it, nothing was published. */
  volatile int locked = 0;
  if (FAST_GUARD_FAULTED(&g)) {
    if (locked) release_after_fault(f, LSM_QUEUE_PRODUCER_LOCK);
    return LSM_FAST_SLOW;
  }
  arm(&g, f, data, n);
  /* Both ends of the source first, as the engine's copy would meet them: a view over a segment
   * already cut faults here, before the lock is taken. */
  if (n != 0) {
    const volatile uint8_t* src = (const volatile uint8_t*)data;
    (void)src[0];
    (void)src[n - 1];
  }
  /* A full queue with a free lock is answered without taking it: the engine's call would take the
   * lock, see the same full count (only producers raise it, and they need this lock) and release
   * it, so the answer is that of a call made at this load. A held lock goes the engine's way. */
  if (__atomic_load_n(word(f, LSM_QUEUE_COUNT), __ATOMIC_SEQ_CST) == f->capacity &&
      (!locks || __atomic_load_n(word(f, LSM_QUEUE_PRODUCER_LOCK), __ATOMIC_SEQ_CST) == 0)) {
    fast_disarm();
    return 0;
  }
  if (locks) {
    if (!take_lock(f, LSM_QUEUE_PRODUCER_LOCK)) {
      fast_disarm();
      return LSM_FAST_SLOW; /* held: the engine waits, times out or takes over */
    }
    locked = 1;
  }
  int32_t result;
  uint32_t count = __atomic_load_n(word(f, LSM_QUEUE_COUNT), __ATOMIC_SEQ_CST);
  uint32_t w = __atomic_load_n(word(f, LSM_QUEUE_WRITE_INDEX), __ATOMIC_SEQ_CST);
  if (count > f->capacity) {
    result = LSM_FAST_SLOW; /* an inconsistent header: the engine reports it */
  } else if (count == f->capacity) {
    result = 0;
  } else if (w >= f->capacity) {
    result = LSM_FAST_SLOW;
  } else {
    /* As libsharedmemory: the length, then exactly n bytes (the rest of the slot keeps what it
     * held). Then writeIndex, and the count last: a consumer that sees the count sees the slot. */
    uint8_t* slot = f->base + f->header + (uint64_t)w * f->slot_size;
    put_u32(slot, (uint32_t)n);
    if (n != 0) memcpy(slot + LSM_QUEUE_SLOT_HEAD, data, n);
    __atomic_store_n(word(f, LSM_QUEUE_WRITE_INDEX), (w + 1) % f->capacity, __ATOMIC_SEQ_CST);
    count_added(f, 1);
    result = 1;
  }
  if (locks) release_lock(f, LSM_QUEUE_PRODUCER_LOCK);
  locked = 0;
  fast_disarm();
  return result;
}

int64_t lsm_queue_fast_take(lsm_queue_fast* f, void* dst, size_t cap, int32_t peek) {
  if (f == NULL || !fast_ready() || reattach_due(f)) return LSM_FAST_SLOW;
  const int locks = f->layout == LSM_LAYOUT_V2;
  struct fast_guard g;
  volatile int locked = 0; /* as in lsm_queue_fast_enqueue */
  if (FAST_GUARD_FAULTED(&g)) {
    if (locked) release_after_fault(f, LSM_QUEUE_CONSUMER_LOCK);
    return LSM_FAST_SLOW;
  }
  arm(&g, f, dst, cap);
  /* An empty queue with a free lock, likewise (only consumers lower the count, and they need this
   * lock): a consumer polling an empty queue then does not keep writing the header's cache line
   * under its producers. */
  if (__atomic_load_n(word(f, LSM_QUEUE_COUNT), __ATOMIC_SEQ_CST) == 0 &&
      (!locks || __atomic_load_n(word(f, LSM_QUEUE_CONSUMER_LOCK), __ATOMIC_SEQ_CST) == 0)) {
    fast_disarm();
    return LSM_QUEUE_EMPTY;
  }
  /* libsharedmemory's peek takes the consumer lock too. */
  if (locks) {
    if (!take_lock(f, LSM_QUEUE_CONSUMER_LOCK)) {
      fast_disarm();
      return LSM_FAST_SLOW;
    }
    locked = 1;
  }
  int64_t result = LSM_FAST_SLOW;
  uint32_t count = __atomic_load_n(word(f, LSM_QUEUE_COUNT), __ATOMIC_SEQ_CST);
  if (count == 0) {
    result = LSM_QUEUE_EMPTY;
  } else if (count <= f->capacity) {
    uint32_t r = __atomic_load_n(word(f, LSM_QUEUE_READ_INDEX), __ATOMIC_SEQ_CST);
    if (r < f->capacity) {
      const uint8_t* slot = f->base + f->header + (uint64_t)r * f->slot_size;
      uint32_t n = get_u32(slot);
      if (n > f->max_message) {
        result = LSM_FAST_SLOW; /* an inconsistent slot: the engine reports it */
      } else if (n > cap) {
        result = n; /* measured, neither copied nor removed */
      } else if (n <= QUEUE_COPY_MAX) {
        if (n != 0) memcpy(dst, slot + LSM_QUEUE_SLOT_HEAD, n);
        if (!peek) {
          __atomic_store_n(word(f, LSM_QUEUE_READ_INDEX), (r + 1) % f->capacity, __ATOMIC_SEQ_CST);
          count_added(f, ~(uint32_t)0);
        }
        result = n;
      }
    }
  }
  if (locks) release_lock(f, LSM_QUEUE_CONSUMER_LOCK);
  locked = 0;
  fast_disarm();
  return result;
}

int64_t lsm_queue_fast_len(lsm_queue_fast* f) {
  if (f == NULL || !fast_ready() || reattach_due(f)) return LSM_FAST_SLOW;
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return LSM_FAST_SLOW;
  arm(&g, f, NULL, 0);
  uint32_t count = __atomic_load_n(word(f, LSM_QUEUE_COUNT), __ATOMIC_SEQ_CST);
  fast_disarm();
  return count <= f->capacity ? (int64_t)count : LSM_FAST_SLOW;
}
