/* The stream fast path (see lsm_fast in goshm.h): the uncontended, valid case of a stream write,
 * read or flags look, in plain C, so that the caller does not pay for cgo's C -> Go transition.
 * Every function mirrors the engine (goshm/stream.go Write, Read, readV2, Flags; goshm/lock.go;
 * goshm/layout.go fields, nextFlags) and returns LSM_FAST_SLOW whenever the case is not the simple
 * one; the caller then makes the same call through the Go export, which does the waiting and the
 * error reporting. There is no second copy of any error here. The offsets and bits come from
 * goshm.h; the fault guard and the wake are the per-OS half (fast_guard.h). */
#include <string.h>

#include "fast_guard.h"
#include "fast_le.h"
#include "goshm.h"

/* Copies n bytes between the mapping and a caller's buffer, in either direction. glibc's memcpy
 * moves blocks from about 2 KiB up to its non-temporal threshold with `rep movsb` on CPUs with
 * FSRM, and on AMD Zen 3/4 that runs up to 30x slower when the destination lies 1 to 63 bytes
 * after the source modulo 4096 (glibc bug 30994; measured on this project's machine: 64 KiB in
 * 19-35 us instead of 1.2 us). Payloads sit at offset 20 of the mapping (5 in layout v1), so a
 * write from a buffer that starts near a page boundary meets it. Those copies run backwards in
 * 64-byte blocks instead: vector moves, and no load waits on a store to the same low address bits
 * (which is what makes every forward copy at these distances slow). From 1 MiB up glibc streams
 * with non-temporal stores, which have no such case, and stays the faster. */
enum { COPY_SMALL = 2048, COPY_STREAMED = 1 << 20 };

static inline void copy_bytes(void* dst, const void* src, size_t n) {
  size_t ahead = ((uintptr_t)dst - (uintptr_t)src) & 4095;
  if (n <= COPY_SMALL || n >= COPY_STREAMED || ahead == 0 || ahead >= 64) {
    memcpy(dst, src, n);
    return;
  }
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  while (n >= 64) {
    n -= 64;
    __builtin_memcpy(d + n, s + n, 64);
  }
  memcpy(d, s, n);
}

/* How often a v2 read retries (the lock held, or a write overlapping the copy) before it leaves
 * the waiting to the engine. */
enum { READ_TRIES = 16 };

/* ---- layouts ------------------------------------------------------------------------------ */

/* goshm/layout.go fields(). */
static inline void fields(int32_t layout, uint8_t type, size_t* size_at, size_t* data_at) {
  if (layout == LSM_LAYOUT_V2) {
    *size_at = LSM_V2_SIZE, *data_at = LSM_V2_DATA;
  } else if (layout == LSM_LAYOUT_V1 || (type & (LSM_TYPE_STRING | LSM_TYPE_BYTES)) != 0) {
    *size_at = LSM_V1_SIZE, *data_at = LSM_V1_DATA;
  } else if (type & LSM_TYPE_FLOAT) {
    *size_at = LSM_V0_FLOAT_SIZE, *data_at = LSM_V0_FLOAT_DATA;
  } else if (type & LSM_TYPE_DOUBLE) {
    *size_at = LSM_V0_DOUBLE_SIZE, *data_at = LSM_V0_DOUBLE_DATA;
  } else {
    *size_at = LSM_V1_SIZE, *data_at = LSM_V1_DATA;
  }
}

static inline uint8_t next_flags(uint8_t old, uint8_t type) {
  return (uint8_t)(((old & LSM_FLAG_CHANGED) ^ LSM_FLAG_CHANGED) | type);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* ---- the fast functions ------------------------------------------------------------------- */

/* Whether a following reader's check of its name is due (goshm.h lsm_fast): then the engine's
 * read makes it. Once a check_ns, not at every read: a look at the name is a system call. */
static inline int reattach_due(lsm_fast* f) {
  if (f->check_ns == 0) return 0;
  if (__atomic_load_n(&f->reattach_due, __ATOMIC_RELAXED) != 0) return 1;
  uint64_t now = lsm_fast_now_ns();
  if (now - f->checked_at < f->check_ns) return 0;
  f->checked_at = now;
  __atomic_store_n(&f->reattach_due, 1, __ATOMIC_RELAXED);
  return 1;
}

/* A write that faulted after it began storing may have left a torn payload: it is replaced by an
 * empty one, as the engine's repair does (goshm/stream.go repair): every size field 0 (v0 has one
 * per type), no type bit, kMemoryChanged toggled, and in v2 a new revision (with a wake for those
 * watching), so that no reader takes the torn bytes for a value. Under a guard of its own: the
 * mapping may be what is gone. In v2 the caller still holds the lock. */
static void repair_after_fault(lsm_fast* f) {
  static const uint8_t types[] = {LSM_TYPE_STRING, LSM_TYPE_FLOAT, LSM_TYPE_DOUBLE};
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return;
  fast_arm(&g, f, NULL, 0);
  uint8_t* mem = f->base;
  for (size_t i = 0; i < sizeof types; i++) {
    size_t size_at, data_at;
    fields(f->layout, types[i], &size_at, &data_at);
    if (size_at + 4 <= f->size) put_u32(mem + size_at, 0);
  }
  mem[0] = next_flags(mem[0], 0);
  if (f->layout == LSM_LAYOUT_V2) {
    uint32_t* rev = (uint32_t*)(mem + LSM_V2_REVISION);
    __atomic_add_fetch(rev, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(mem + LSM_V2_HINT_REVISION, __ATOMIC_RELAXED) != 0) lsm_fast_wake(rev);
  }
  fast_disarm();
}

/* A write that faulted while holding the v2 lock releases it if the word is still reachable, as
 * the engine's deferred unlock does. */
static void release_after_fault(lsm_fast* f) {
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return;
  fast_arm(&g, f, NULL, 0);
  __atomic_store_n((uint32_t*)(f->base + LSM_V2_LOCK), 0, __ATOMIC_SEQ_CST);
  fast_disarm();
}

int32_t lsm_fast_write(lsm_fast* f, uint32_t type32, const void* data, size_t n) {
  if (f == NULL || f->read_only || !fast_ready()) return LSM_FAST_SLOW;
  uint8_t type = (uint8_t)type32;
  uint8_t* mem = f->base;
  size_t size_at, data_at;
  fields(f->layout, type, &size_at, &data_at);
  if (data_at > f->size || n > f->size - data_at) return LSM_FAST_SLOW; /* too large: reported there */
  struct fast_guard g;
  volatile int locked = 0, storing = 0;
  if (FAST_GUARD_FAULTED(&g)) {
    if (storing) repair_after_fault(f);
    if (locked) release_after_fault(f);
    return LSM_FAST_SLOW; /* the engine meets the fault too and reports it */
  }
  fast_arm(&g, f, data, n);
  /* Both ends of the source first, as the engine does: a source already cut (a view over a
   * truncated segment) faults here, before anything is stored. */
  if (n != 0) {
    const volatile uint8_t* src = (const volatile uint8_t*)data;
    (void)src[0];
    (void)src[n - 1];
    /* And the end of the destination: a segment cut under the payload faults here too, with
     * nothing stored, so that the engine's write meets the fault and makes the one repair. (A cut
     * that lands during the copy is repaired here, and again by the engine's retry: the value is
     * empty either way, under a revision moved twice.) */
    (void)((const volatile uint8_t*)mem)[data_at + n - 1];
  }
  if (f->layout == LSM_LAYOUT_V2) {
    uint32_t* lock = (uint32_t*)(mem + LSM_V2_LOCK);
    uint32_t* rev = (uint32_t*)(mem + LSM_V2_REVISION);
    uint32_t free_word = 0;
    if (!__atomic_compare_exchange_n(lock, &free_word, f->tag, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
      fast_disarm();
      return LSM_FAST_SLOW; /* held: the engine waits, times out or takes over */
    }
    locked = 1;
    storing = 1;
    copy_bytes(mem + data_at, data, n);
    put_u32(mem + size_at, (uint32_t)n);
    mem[0] = next_flags(mem[0], type);
    /* The revision moves last: a reader that sees it move sees the whole write. */
    __atomic_add_fetch(rev, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(mem + LSM_V2_HINT_REVISION, __ATOMIC_RELAXED) != 0) lsm_fast_wake(rev);
    storing = 0;
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
    locked = 0;
  } else {
    /* v1 and v0 have no lock; the flags byte goes last because peers poll it. */
    storing = 1;
    copy_bytes(mem + data_at, data, n);
    put_u32(mem + size_at, (uint32_t)n);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mem[0] = next_flags(mem[0], type);
  }
  fast_disarm();
  return 0;
}

int64_t lsm_fast_read(lsm_fast* f, uint32_t type32, void* dst, size_t cap, uint32_t unit, uint32_t* flags) {
  if (f == NULL || !fast_ready() || reattach_due(f)) return LSM_FAST_SLOW;
  uint8_t* mem = f->base;
  const uint64_t size = f->size;
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return LSM_FAST_SLOW;
  fast_arm(&g, f, dst, cap);
  int64_t result = LSM_FAST_SLOW;
  /* Only whole elements are copied (unit is a power of two): a mask, not a division. */
  const uint32_t whole_mask = ~(unit - 1u);
  if (f->layout == LSM_LAYOUT_V2) {
    /* goshm/stream.go readV2: a sequence-lock read. */
    uint32_t* rev = (uint32_t*)(mem + LSM_V2_REVISION);
    uint32_t* lock = (uint32_t*)(mem + LSM_V2_LOCK);
    for (int tries = 0; tries < READ_TRIES; tries++) {
      uint32_t r = __atomic_load_n(rev, __ATOMIC_SEQ_CST);
      if (__atomic_load_n(lock, __ATOMIC_SEQ_CST) != 0) {
        cpu_relax();
        continue;
      }
      uint8_t fl = __atomic_load_n(mem, __ATOMIC_RELAXED);
      uint32_t n = get_u32(mem + LSM_V2_SIZE);
      int valid = (uint64_t)n <= size - LSM_V2_DATA;
      if (valid && n <= cap && (n & whole_mask) != 0) copy_bytes(dst, mem + LSM_V2_DATA, n & whole_mask);
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
    if (type == 0) type = mem[0] & (uint8_t)~LSM_FLAG_CHANGED; /* whatever the flags say was written last */
    size_t size_at, data_at;
    fields(f->layout, type, &size_at, &data_at);
    if (data_at <= size) {
      uint32_t n = get_u32(mem + size_at);
      if ((uint64_t)n <= size - data_at) {
        if (n <= cap && (n & whole_mask) != 0) copy_bytes(dst, mem + data_at, n & whole_mask);
        *flags = mem[0];
        result = n;
      }
    }
  }
  fast_disarm();
  return result;
}

int32_t lsm_fast_flags(lsm_fast* f) {
  if (f == NULL || !fast_ready() || reattach_due(f)) return LSM_FAST_SLOW;
  struct fast_guard g;
  if (FAST_GUARD_FAULTED(&g)) return LSM_FAST_SLOW;
  fast_arm(&g, f, NULL, 0);
  int32_t v = f->base[0];
  fast_disarm();
  return v;
}

#if !defined(__unix__) && !defined(__APPLE__)
/* No fault guard here (fast_guard.h), so nothing to put back. */
int32_t lsm_fast_reinstall(void) { return 0; }
#endif
