// The poll ticks of the grouped watchers (waiter_linux.go), in a C thread of their own: a tick that
// finds nothing to do costs this thread one wake-up, where a goroutine's timed wait cost the Go
// scheduler several (the P handed off and taken back, sysmon woken). A group's goroutine waits
// without a timeout; at each of the group's ticks this thread checks, without blocking, what the
// goroutine would check, and wakes it only when something needs it: a watched word that is not
// the value the goroutine last saw (or a mapping that faults: futex_waitv reads the words, so a
// truncated segment gives EFAULT here, never a signal), a change in the segment folder for a
// group that follows names, or a notification the goroutine owes at its next tick.

//go:build linux

#include "ticker_linux.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static lsm_tick_group* groups;  // mu
static uint32_t bell;           // moved (and woken) when the ticker must look at its dues again
static int64_t sleeping_until = INT64_MAX;  // mu
static int started;             // mu
static int names_fd = -1;       // the segment folder's inotify descriptor, or -1

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// The quieter the group's words have been, the later its next tick (watch.go interval).
static int64_t interval(const lsm_tick_group* g, int64_t now) {
  int64_t quiet = (now - g->active) / LSM_IDLE_RAMP;
  int64_t lo = g->min_poll, hi = g->min_poll * LSM_IDLE_FACTOR;
  return quiet < lo ? lo : quiet > hi ? hi : quiet;
}

static void hand_over(lsm_tick_group* g) {
  __atomic_store_n(&g->ticked, 1, __ATOMIC_RELEASE);
  uint32_t* ctl = (uint32_t*)g->ctl;
  __atomic_add_fetch(ctl, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, ctl, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

// Reads the segment folder's events and flags the followed names they concern (all of them when
// events were lost). mu is held.
static void read_names(void) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t len = read(names_fd, buf, sizeof buf);
    if (len <= 0) return;
    for (char* p = buf; p < buf + len;) {
      const struct inotify_event* e = (const struct inotify_event*)p;
      int all = (e->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0;
      for (lsm_tick_group* g = groups; g != NULL; g = g->next) {
        for (uint32_t i = 0; i < g->n; i++) {
          lsm_tick_name* t = g->names[i];
          if (t == NULL || !(all || (e->len > 0 && strcmp(e->name, t->name) == 0))) continue;
          __atomic_store_n(&t->changed, 1, __ATOMIC_RELEASE);
          g->names_changed = 1;
        }
      }
      p += sizeof *e + e->len;
    }
  }
}

// Whether a tick of g needs its goroutine. mu is held.
static int needed(lsm_tick_group* g) {
  if (g->must_run) return 1;
  if (g->names_changed) {
    g->names_changed = 0;
    return 1;
  }
  if (g->n == 0) return 0;
  struct timespec past = {0, 0};  // an absolute time long gone: compare the words, never sleep
  long r = syscall(SYS_futex_waitv, g->vec, g->n, 0, &past, CLOCK_MONOTONIC);
  return !(r < 0 && errno == ETIMEDOUT);
}

static void* run(void* unused) {
  (void)unused;
  for (;;) {
    uint32_t b = __atomic_load_n(&bell, __ATOMIC_ACQUIRE);
    int64_t now = now_ns();
    int64_t next = INT64_MAX;
    pthread_mutex_lock(&mu);
    if (names_fd >= 0) {
      struct pollfd p = {names_fd, POLLIN, 0};
      if (poll(&p, 1, 0) > 0) read_names();
    }
    for (lsm_tick_group* g = groups; g != NULL; g = g->next) {
      if (g->due <= now && !__atomic_load_n(&g->ticked, __ATOMIC_ACQUIRE)) {
        g->last_tick = now;
        g->due = now + interval(g, now);
        if (needed(g)) hand_over(g);
      }
      if (!__atomic_load_n(&g->ticked, __ATOMIC_ACQUIRE) && g->due < next) next = g->due;
    }
    sleeping_until = next;
    pthread_mutex_unlock(&mu);
    struct timespec ts, *tsp = NULL;
    if (next != INT64_MAX) {
      ts.tv_sec = next / 1000000000;
      ts.tv_nsec = next % 1000000000;
      tsp = &ts;
    }
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time.
    syscall(SYS_futex, &bell, FUTEX_WAIT_BITSET_PRIVATE, b, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
  }
  return NULL;
}

static void ring(void) {
  __atomic_add_fetch(&bell, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &bell, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

lsm_tick_group* lsm_tick_join(uintptr_t ctl, int64_t poll) {
  lsm_tick_group* g = calloc(1, sizeof *g);
  if (g == NULL) return NULL;
  g->ctl = ctl;
  g->min_poll = poll;
  g->active = now_ns();
  g->last_tick = g->active;
  g->due = g->active + poll;
  pthread_mutex_lock(&mu);
  if (!started) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    started = pthread_create(&t, &attr, run, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
      pthread_mutex_unlock(&mu);
      free(g);
      return NULL;
    }
  }
  g->next = groups;
  groups = g;
  pthread_mutex_unlock(&mu);
  ring();
  return g;
}

void lsm_tick_leave(lsm_tick_group* g) {
  pthread_mutex_lock(&mu);
  for (lsm_tick_group** p = &groups; *p != NULL; p = &(*p)->next) {
    if (*p == g) {
      *p = g->next;
      break;
    }
  }
  pthread_mutex_unlock(&mu);
  free(g);
}

void lsm_tick_names(int fd) { __atomic_store_n(&names_fd, fd, __ATOMIC_RELEASE); }

int lsm_tick_take(lsm_tick_group* g) { return __atomic_exchange_n(&g->ticked, 0, __ATOMIC_ACQ_REL); }

void lsm_tick_publish(lsm_tick_group* g, const lsm_waitv* vec, lsm_tick_name* const* names, uint32_t n,
                      int64_t active, int64_t min_poll, int32_t must_run) {
  pthread_mutex_lock(&mu);
  memcpy(g->vec, vec, n * sizeof *vec);
  memcpy(g->names, names, n * sizeof *names);
  g->n = n;
  g->active = active;
  g->min_poll = min_poll;
  g->must_run = must_run;
  // A name whose change is not looked at yet (new, or reported before it was published here)
  // needs the next tick.
  for (uint32_t i = 0; i < n; i++) {
    if (names[i] != NULL && __atomic_load_n(&names[i]->changed, __ATOMIC_ACQUIRE)) g->names_changed = 1;
  }
  // Activity brings the next tick nearer; only a tick earlier than the ticker's sleep wakes it.
  int64_t due = g->last_tick + interval(g, now_ns());
  if (due < g->due) g->due = due;
  int wake = g->due < sleeping_until;
  pthread_mutex_unlock(&mu);
  if (wake) ring();
}

lsm_tick_name* lsm_tick_name_new(const char* name, size_t len) {
  lsm_tick_name* t = malloc(sizeof *t + len + 1);
  if (t == NULL) return NULL;
  t->changed = 1;  // the first look always looks
  memcpy(t->name, name, len);
  t->name[len] = 0;
  return t;
}

void lsm_tick_name_free(lsm_tick_name* t) { free(t); }
