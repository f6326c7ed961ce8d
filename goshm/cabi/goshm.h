/* The C ABI of the Go engine (goshm/cabi), shared by the cgo preamble and addon.cc. cgo compiles
 * this header together with the prototypes it generates for the //export functions, so a
 * declaration here that disagrees with the Go code fails the build. */
#ifndef GOSHM_H
#define GOSHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Filled in by a call that fails (its return value is negative); untouched otherwise. */
typedef struct lsm_error {
  int32_t kind;        /* goshm.Kind: 1 OS, 2 argument, 3 too large, 4 layout, 5 size, 6 closed,
                          7 lock timeout, 8 fault, 9 internal */
  int32_t errnum;      /* errno, for kind 1 */
  char code[32];       /* "ENOENT", "ERR_SHM_CLOSED", ... */
  char syscall[16];    /* "open", "fallocate", ... for kind 1 */
  char segment[256];   /* the segment's name, when the error concerns one */
  char message[320];
} lsm_error;

typedef struct lsm_stream_info {
  uint64_t size;       /* bytes mapped */
  int32_t layout;      /* 0, 1, 2 */
  int32_t created;     /* 1 if this open made the segment */
} lsm_stream_info;

/* Bits of lsm_stream_open's flags argument. */
#define LSM_OPEN_CREATE 1u   /* create if missing, attach if present (growing it to size) */
#define LSM_OPEN_UNLINK 2u   /* remove the name on close (persistent = false) */
#define LSM_OPEN_READONLY 4u /* map without write access */

/* The fast path of a stream: plain C functions (goshm/cabi/fast.c) that do the uncontended,
 * valid case of a write, read or flags look without entering the Go runtime (a call from C into Go
 * costs ~70 ns). Anything else (lock held, payload too large, bad header, read-only mapping, a
 * fault) returns LSM_FAST_SLOW and changes nothing visible, and the caller makes the same call
 * through the Go export (lsm_stream_write/read/flags), which waits, times out, takes over from a
 * dead holder and reports errors. Accesses to the mapping are guarded: a SIGBUS/SIGSEGV on it
 * (segment truncated by another process) becomes LSM_FAST_SLOW, other faults go to the handlers
 * installed before.
 *
 * lsm_stream_open fills *fast (when fast is not NULL) with memory the engine owns until
 * lsm_stream_close; the caller must stop using it before closing. A stream's fast functions are
 * called from one thread at a time, the thread that uses the stream. */
typedef struct lsm_fast {
  uint8_t* base;     /* the mapping */
  uint64_t size;     /* bytes mapped */
  int32_t layout;    /* 0, 1, 2 */
  uint32_t tag;      /* the value this process stores in the v2 lock word (its pid) */
  uint32_t seen;     /* revision of the value this stream last read (v2); shared with the engine */
  uint32_t has_read; /* 1 once a read completed; shared with the engine */
  int32_t read_only; /* mapped read-only: writes go the slow way (which reports it) */
  int32_t reserved;
} lsm_fast;

#define LSM_FAST_SLOW (-3)

/* 0: written; LSM_FAST_SLOW: use lsm_stream_write. */
int32_t lsm_fast_write(lsm_fast* fast, uint32_t type, const void* data, size_t len);
/* As lsm_stream_read (payload size, copy only if it fits), or LSM_FAST_SLOW. */
int64_t lsm_fast_read(lsm_fast* fast, uint32_t type, void* dst, size_t cap, uint32_t* flags);
/* The flags byte (0..255), or LSM_FAST_SLOW. */
int32_t lsm_fast_flags(lsm_fast* fast);

/* Handles are non-zero; 0 is never a valid handle. The low LSM_HANDLE_INDEX_BITS bits of the live
 * handles of a kind are distinct (an index a caller may use for a table). */
#define LSM_HANDLE_INDEX_BITS 20
int32_t lsm_stream_open(char* name, size_t name_len, uint64_t size, uint32_t flags, int32_t layout,
                        uint32_t mode, uint32_t lock_timeout_ms, uint32_t* handle, lsm_fast** fast,
                        lsm_error* err);
int32_t lsm_stream_close(uint32_t handle, lsm_error* err);
int32_t lsm_stream_info_get(uint32_t handle, lsm_stream_info* info, lsm_error* err);
/* Writes len bytes from data as the payload of the given type bit. */
int32_t lsm_stream_write(uint32_t handle, uint32_t type, void* data, size_t len, lsm_error* err);
/* Returns the payload size in bytes and stores the flags byte; copies into dst only when the
 * payload fits in cap bytes, so a caller whose buffer is too small grows it and calls again. */
int64_t lsm_stream_read(uint32_t handle, uint32_t type, void* dst, size_t cap, uint32_t* flags,
                        lsm_error* err);
/* Returns the flags byte (0..255). */
int32_t lsm_stream_flags(uint32_t handle, lsm_error* err);
int32_t lsm_unlink(char* name, size_t name_len, lsm_error* err);

/* Layout v2 state, by query: revision, ack, has-new-data (0/1), mark-as-read (stores the revision
 * this stream last read into ack; returns 0), is-message-read (0/1), seen. */
#define LSM_QUERY_REVISION 0
#define LSM_QUERY_ACK 1
#define LSM_QUERY_HAS_NEW_DATA 2
#define LSM_QUERY_MARK_AS_READ 3
#define LSM_QUERY_IS_MESSAGE_READ 4
#define LSM_QUERY_SEEN 5 /* the revision of the value this stream last read */
int64_t lsm_stream_query(uint32_t handle, int32_t query, lsm_error* err);

/* Change watching (layout v2). The engine calls fn(ctx, value) from one of its own threads each
 * time the watched word changes (coalescing changes that happen during a call), until
 * lsm_watch_stop returns: after that fn is never called again for this watch. */
typedef void (*lsm_notify_fn)(void* ctx, uint32_t value);
#define LSM_FIELD_REVISION 0
#define LSM_FIELD_ACK 1
int32_t lsm_watch_start(uint32_t handle, int32_t field, uint32_t poll_ms, lsm_notify_fn fn, void* ctx,
                        uint32_t* watch, lsm_error* err);
int32_t lsm_watch_stop(uint32_t watch, lsm_error* err);

/* Raw segments. A raw segment is reference counted: open gives one reference; each external
 * ArrayBuffer over the mapping holds another (lsm_segment_retain), and the mapping goes away with
 * the last lsm_segment_release. *base stays valid until then. */
int32_t lsm_segment_open(char* name, size_t name_len, uint64_t size, uint32_t flags, uint32_t mode,
                         uint32_t* handle, void** base, uint64_t* mapped, lsm_error* err);
int32_t lsm_segment_retain(uint32_t handle, lsm_error* err);
int32_t lsm_segment_release(uint32_t handle, lsm_error* err);
/* Copying access, safe against a segment truncated by another process. */
int32_t lsm_segment_read(uint32_t handle, uint64_t offset, void* dst, size_t len, lsm_error* err);
int32_t lsm_segment_write(uint32_t handle, uint64_t offset, void* src, size_t len, lsm_error* err);

/* Queues (SPEC §3.4). */
typedef struct lsm_queue_info {
  uint32_t capacity;
  uint32_t max_message_size;
  uint64_t size; /* bytes mapped */
} lsm_queue_info;

#define LSM_QUEUE_EMPTY (-2)

/* capacity and max_message are required with LSM_OPEN_CREATE; 0 otherwise means "as the header says". */
int32_t lsm_queue_open(char* name, size_t name_len, uint32_t capacity, uint32_t max_message, uint32_t flags,
                       int32_t layout, uint32_t mode, uint32_t lock_timeout_ms, uint32_t* handle,
                       lsm_queue_info* info, lsm_error* err);
int32_t lsm_queue_close(uint32_t handle, lsm_error* err);
/* 1: enqueued, 0: full, -1: error. */
int32_t lsm_queue_enqueue(uint32_t handle, void* data, size_t len, lsm_error* err);
/* Dequeues (or, with peek, copies) the oldest message into dst and returns its length;
 * LSM_QUEUE_EMPTY when there is none. A message longer than cap is neither copied nor removed:
 * its length is returned, and the caller grows dst and calls again. */
int64_t lsm_queue_take(uint32_t handle, void* dst, size_t cap, int32_t peek, lsm_error* err);
int64_t lsm_queue_len(uint32_t handle, lsm_error* err);
/* Watches the count word; fn is called after it changes. Stop with lsm_watch_stop. */
int32_t lsm_queue_watch_start(uint32_t handle, uint32_t poll_ms, lsm_notify_fn fn, void* ctx, uint32_t* watch,
                              lsm_error* err);

#ifdef __cplusplus
}
#endif

#endif
