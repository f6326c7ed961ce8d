/* The u32 fields of the layouts, for the C fast paths (fast.c, fast_queue.c): little-endian, as
 * libsharedmemory writes them on the hosts it supports, and unaligned (v1 puts its size at 1). */
#ifndef GOSHM_FAST_LE_H
#define GOSHM_FAST_LE_H

#include <stdint.h>
#include <string.h>

static inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

static inline void put_u32(uint8_t* p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, sizeof v);
}

#endif
