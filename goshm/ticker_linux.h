// The grouped watchers' ticker (ticker_linux.c), as waiter_linux.go calls it.
#ifndef LSM_TICKER_LINUX_H
#define LSM_TICKER_LINUX_H

#include <stddef.h>
#include <stdint.h>

#define LSM_IDLE_RAMP 50
#define LSM_IDLE_FACTOR 10

typedef struct {
  uint64_t val, uaddr;
  uint32_t flags, reserved;
} lsm_waitv;

// The name a watch follows (reattach.go), as the segment folder's entry: the ticker sets changed
// when inotify reports an event for it (or lost events), and the watch's next look takes it.
typedef struct {
  uint32_t changed;
  char name[];
} lsm_tick_name;

typedef struct lsm_tick_group {
  struct lsm_tick_group* next;
  uintptr_t ctl;     // the group's own futex word: Go memory, kept and never moved by Go while joined
  int32_t ticked;    // a tick handed over, not yet taken up by the goroutine
  uint32_t n;
  int64_t active;    // the latest activity of the group's words (CLOCK_MONOTONIC ns)
  int64_t min_poll;  // the shortest poll interval of its watches
  int64_t last_tick;
  int64_t due;
  int32_t must_run;  // the next tick needs the goroutine: a notification is owed, or names are followed blind
  int32_t names_changed;  // an event for one of names: the next tick needs the goroutine
  lsm_waitv vec[128];
  lsm_tick_name* names[128];  // of the watches in vec, NULL for one that does not follow
} lsm_tick_group;

lsm_tick_group* lsm_tick_join(uintptr_t ctl, int64_t poll);
int lsm_tick_take(lsm_tick_group* g);
void lsm_tick_leave(lsm_tick_group* g);
void lsm_tick_names(int fd);
void lsm_tick_publish(lsm_tick_group* g, const lsm_waitv* vec, lsm_tick_name* const* names, uint32_t n,
                      int64_t active, int64_t min_poll, int32_t must_run);
lsm_tick_name* lsm_tick_name_new(const char* name, size_t len);
void lsm_tick_name_free(lsm_tick_name* t);

#endif
