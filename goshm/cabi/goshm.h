/* The C ABI of the Go engine (goshm/cabi), shared by the cgo preamble, the fast path and the addon.
 *
 * It is also the one definition of every fact that crosses a layer: the payload type bits, the
 * error kinds, the open flags, the header offsets and the limits. cabi/consts.go checks each
 * against the engine's Go constant at compile time (a mismatch fails the build), the fast path
 * and the addon include this header, and the addon hands the values to JavaScript as
 * `native.constants`. Nothing else spells these numbers. cgo compiles this header together with
 * the prototypes it generates for the //export functions, so a declaration here that disagrees
 * with the Go code fails the build too. */
#ifndef GOSHM_H
#define GOSHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- facts ------------------------------------------------------------------------------- */

/* Bits of the flags byte (offset 0 of every stream layout; SPEC §2.1, §3.5). */
#define LSM_FLAG_CHANGED 1u  /* kMemoryChanged: toggled by every write */
#define LSM_TYPE_STRING 2u   /* kMemoryTypeString */
#define LSM_TYPE_FLOAT 4u    /* kMemoryTypeFloat */
#define LSM_TYPE_DOUBLE 8u   /* kMemoryTypeDouble */
#define LSM_TYPE_BYTES 16u   /* kMemoryTypeBuffer: added by this project */

/* Stream layouts (goshm.Layout). */
#define LSM_LAYOUT_V0 0 /* cpp_libsharedmemory 0.0.9 */
#define LSM_LAYOUT_V1 1 /* libsharedmemory 1.x */
#define LSM_LAYOUT_V2 2 /* libsharedmemory 2.x */

/* Layout v2 header (SPEC §3.1). Bytes 1 and 2 are this project's "a watcher waits" hints. */
#define LSM_V2_HINT_REVISION 1
#define LSM_V2_HINT_ACK 2
#define LSM_V2_REVISION 4
#define LSM_V2_ACK 8
#define LSM_V2_SIZE 12
#define LSM_V2_LOCK 16
#define LSM_V2_DATA 20
/* Layout v1, and v0's string and byte payloads (SPEC §3.2, §3.3). v0 places a Float32Array's
 * size and data at elements 1 and 5 of a float array, a Float64Array's at those of a double array. */
#define LSM_V1_SIZE 1
#define LSM_V1_DATA 5
#define LSM_V0_FLOAT_SIZE 4
#define LSM_V0_FLOAT_DATA 20
#define LSM_V0_DOUBLE_SIZE 8
#define LSM_V0_DOUBLE_DATA 40

/* Queues (SPEC §3.4): header bytes of each layout, and the length word in front of every slot. */
#define LSM_QUEUE_HEADER_V2 28
#define LSM_QUEUE_HEADER_V1 20
#define LSM_QUEUE_SLOT_HEAD 4

/* Limits. A name is at most LSM_MAX_NAME_BYTES bytes of UTF-8 (the OS's own limit), and sizes,
 * capacities and payload lengths are u32 fields of the layouts. */
#if defined(__APPLE__)
#define LSM_MAX_NAME_BYTES 30 /* PSHMNAMLEN (31) counts the "/" in front of the name */
#else
#define LSM_MAX_NAME_BYTES 255 /* NAME_MAX of /dev/shm */
#endif
#define LSM_MAX_SIZE 4294967295u

/* Bits of the flags argument of the open functions. */
#define LSM_OPEN_CREATE 1u   /* create if missing, attach if present (growing it to size) */
#define LSM_OPEN_UNLINK 2u   /* remove the name on close (persistent = false) */
#define LSM_OPEN_READONLY 4u /* map without write access */
#define LSM_OPEN_ALLOW_FOREIGN 8u /* writers (CREATE) and queues may attach to another user's segment */
#define LSM_OPEN_RESET 16u /* a stream writer (CREATE) that attaches resets the header (goshm.StreamOptions.Reset) */

/* Error kinds (goshm.Kind). */
#define LSM_KIND_OS 1          /* the OS refused; errnum says why */
#define LSM_KIND_ARG 2         /* an argument the engine cannot accept */
#define LSM_KIND_TOO_LARGE 3   /* a payload larger than the segment holds */
#define LSM_KIND_LAYOUT 4      /* a header field that does not fit the segment */
#define LSM_KIND_SIZE 5        /* the segment is smaller than asked for */
#define LSM_KIND_CLOSED 6      /* use after close */
#define LSM_KIND_LOCK_TIMEOUT 7
#define LSM_KIND_FAULT 8       /* the mapping faulted (truncated or removed by another process) */
#define LSM_KIND_INTERNAL 9    /* a recovered panic: a bug in the engine */
#define LSM_KIND_UNSUPPORTED 10 /* needs a layout or platform feature the segment lacks */
#define LSM_KIND_LOCK_HELD 11  /* a lock break refused: the holder is known to be alive */

/* ---- errors ------------------------------------------------------------------------------ */

/* Filled in by a call that fails (its return value is negative); untouched otherwise. */
typedef struct lsm_error {
  int32_t kind;      /* LSM_KIND_* */
  int32_t errnum;    /* errno, for LSM_KIND_OS */
  char code[32];     /* "ENOENT", "ERR_SHM_CLOSED", ... */
  char syscall[16];  /* "open", "fallocate", ... for LSM_KIND_OS */
  char segment[256]; /* the segment's name, when the error concerns one */
  char message[320];
} lsm_error;

/* ---- streams ----------------------------------------------------------------------------- */

/* The fast path of a stream: plain C functions (fast.c) that do the uncontended, valid case of a
 * write, read or flags look without entering the Go runtime (a call from C into Go costs ~70 ns).
 * Anything else (lock held, payload too large, bad header, read-only mapping, a fault, a platform
 * without the fault guard) returns LSM_FAST_SLOW and changes nothing visible, and the caller makes
 * the same call through the Go export (lsm_stream_write/read/flags), which waits, times out, takes
 * over from a dead holder and reports errors. Accesses to the mapping are guarded: a fault on it
 * (segment truncated by another process) becomes LSM_FAST_SLOW; other faults go to the handlers
 * installed before.
 *
 * lsm_stream_open fills *fast (when fast is not NULL) with memory the engine owns until
 * lsm_stream_close, never with NULL (the open fails with ENOMEM instead); the caller must stop using
 * it before closing. Its seen and has_read fields are the stream's reader state, which the engine
 * keeps there too: a caller that cannot use a value it read (e.g. too long for a JavaScript string)
 * puts back the two words it saw before the read, so the failed read changes nothing. A stream's
 * fast functions are called from one thread at a time, the thread that uses the stream. */
typedef struct lsm_fast {
  uint8_t* base;     /* the mapping */
  uint64_t size;     /* bytes mapped */
  int32_t layout;    /* LSM_LAYOUT_* */
  uint32_t tag;      /* the value this process stores in the v2 lock word (its pid) */
  uint32_t seen;     /* revision of the value this stream last read (v2); shared with the engine */
  uint32_t has_read; /* 1 once a read completed; shared with the engine */
  int32_t read_only; /* mapped read-only: writes go the slow way (which reports it) */
  int32_t reserved;
  /* A reader that follows its name to a new segment (lsm_stream_reattach); all 0 otherwise. The
   * fast read and flags look answer LSM_FAST_SLOW while reattach_due is set, and set it when
   * check_ns has passed since checked_at (lsm_fast_now_ns): the engine's call then checks the
   * name, clears it, and after a move has changed base, size and generation. reattach_due and
   * generation are shared with the engine; a watcher sets reattach_due from its own thread. */
  uint32_t reattach_due;
  uint32_t generation; /* moves each time the stream maps a new segment under its name */
  uint64_t check_ns;
  uint64_t checked_at;
} lsm_fast;

#define LSM_FAST_SLOW (-3)

/* 0: written; LSM_FAST_SLOW: use lsm_stream_write. */
int32_t lsm_fast_write(lsm_fast* fast, uint32_t type, const void* data, size_t len);
/* As lsm_stream_read (payload size, copy only whole units, only if it fits), or LSM_FAST_SLOW. */
int64_t lsm_fast_read(lsm_fast* fast, uint32_t type, void* dst, size_t cap, uint32_t unit, uint32_t* flags);
/* The flags byte (0..255), or LSM_FAST_SLOW. */
int32_t lsm_fast_flags(lsm_fast* fast);
/* Puts the fault guard's SIGBUS/SIGSEGV handlers back on top when another was installed over them
 * (process.on('SIGBUS') in Node), so that a fault from a truncated segment is ERR_SHM_FAULT again
 * and not an endless fault loop. Faults raised by the kernel keep going to the handlers found at
 * the first install (the Go runtime's), signals sent with kill() to the newest one. The first call
 * must come while the Go runtime's handlers are on top (the addon makes it when it loads, after a
 * call into Go). 1: the handlers are on top; 0: there is no guard (LSM_NO_FAST_PATH, Windows). */
int32_t lsm_fast_reinstall(void);

/* A handle names an open stream, raw segment, queue or watch. It is non-zero (0 is never valid)
 * and below 2^LSM_HANDLE_BITS, so a JavaScript number holds it exactly. The low
 * LSM_HANDLE_INDEX_BITS bits of the live handles of a kind are distinct (an index a caller may use
 * for a table); the bits above are a generation that changes each time the index is reused, and an
 * index whose generation would wrap is never reused, so a handle, once closed, never names another
 * object: a late close, stop or lookup with it does nothing to whoever came after. */
typedef uint64_t lsm_handle;
#define LSM_HANDLE_INDEX_BITS 20
#define LSM_HANDLE_GENERATION_BITS 32
#define LSM_HANDLE_BITS (LSM_HANDLE_INDEX_BITS + LSM_HANDLE_GENERATION_BITS)

/* Opens a stream; *mapped is the number of bytes mapped. */
int32_t lsm_stream_open(char* name, size_t name_len, uint64_t size, uint32_t flags, int32_t layout,
                        uint32_t mode, uint32_t lock_timeout_ms, lsm_handle* handle, uint64_t* mapped,
                        lsm_fast** fast, lsm_error* err);
/* Closes the stream and ends its watches (each gets its final notification, see below). */
int32_t lsm_stream_close(lsm_handle handle, lsm_error* err);
/* Writes len bytes from data as the payload of the given type bit. */
int32_t lsm_stream_write(lsm_handle handle, uint32_t type, void* data, size_t len, lsm_error* err);
/* Returns the payload size in bytes and stores the flags byte; copies into dst only when the
 * payload fits in cap bytes, so a caller whose buffer is too small grows it and calls again. type
 * places the payload in layout v0, which puts types apart (the original's readFloatArray reads
 * at the float position whatever was written); 0 means the type the flags byte names. unit (a
 * power of two, 1 for bytes) is the element size of dst: only the payload's whole elements are
 * copied, and a trailing part of one leaves dst as it was. */
int64_t lsm_stream_read(lsm_handle handle, uint32_t type, void* dst, size_t cap, uint32_t unit, uint32_t* flags,
                        lsm_error* err);
/* Returns the flags byte (0..255). */
int32_t lsm_stream_flags(lsm_handle handle, lsm_error* err);
/* Makes a reader follow its name when a peer replaces the segment under it (libsharedmemory's
 * create() unlinks the name and makes a new one): checked at least every poll_ms on reads, flags
 * looks and queries, and at every poll tick of its watches; size is the size asked at open (0: the
 * whole segment). Call once, right after lsm_stream_open, before any watch starts; a writer (a
 * stream that created its segment) and an OS that cannot tell objects apart ignore it. */
int32_t lsm_stream_reattach(lsm_handle handle, uint32_t poll_ms, uint64_t size, lsm_error* err);
/* A monotonic clock in nanoseconds, cheap enough for every fast read (0 where there is none). */
uint64_t lsm_fast_now_ns(void);
int32_t lsm_unlink(char* name, size_t name_len, lsm_error* err);

/* Layout v2 state, by query: revision, ack, has-new-data (0/1), mark-as-read (stores the revision
 * this stream last read into ack; returns 0), is-message-read (0/1), seen. */
#define LSM_QUERY_REVISION 0
#define LSM_QUERY_ACK 1
#define LSM_QUERY_HAS_NEW_DATA 2
#define LSM_QUERY_MARK_AS_READ 3
#define LSM_QUERY_IS_MESSAGE_READ 4
#define LSM_QUERY_SEEN 5 /* the revision of the value this stream last read */
/* The holder the stale-lock rule (lsm_stream_stale_lock) last took the write lock over from, or 0;
 * asking clears it. */
#define LSM_QUERY_LOCK_BROKEN 6
int64_t lsm_stream_query(lsm_handle handle, int32_t query, lsm_error* err);

/* Dead holders this engine cannot judge (the C++ library stores 1 in a lock it holds, whoever it
 * is) only time out, unless the caller decides. lsm_stream_break_lock takes the v2 write lock over
 * from whoever holds it, repairs the payload (empty, no type bit, new revision: the holder may have
 * died inside a write) and releases it; it returns the lock word it broke, or 0 when the lock was
 * free. A holder known alive (a live pid here, or announced on the segment) is refused with
 * LSM_KIND_LOCK_HELD unless force. lsm_stream_stale_lock sets the opt-in stale rule: a wait that
 * sees the lock word and the revision unchanged for stale_ms takes the lock over as from a dead
 * holder (unless it is known alive), and LSM_QUERY_LOCK_BROKEN reports it; 0 turns it off. */
int64_t lsm_stream_break_lock(lsm_handle handle, int32_t force, lsm_error* err);
int32_t lsm_stream_stale_lock(lsm_handle handle, uint32_t stale_ms, lsm_error* err);

/* ---- watches ----------------------------------------------------------------------------- */

/* A watch reports changes of one 32-bit word of a mapping: a v2 stream's revision or ack, or a
 * queue's count. The engine calls fn(ctx, value, 0) from one of its own threads after the word
 * changed (coalescing changes that happen during a call), and then exactly once
 * fn(ctx, value, 1) when the watch ends, whatever ends it: lsm_watch_stop, the close of its stream
 * or queue, or a fault on the mapping (the receiver should look again, and meet the fault). After
 * that final call fn is never called again for this watch, and lsm_watch_stop does not return
 * before it has returned. The watch's id stays valid (and lsm_watch_stop must still be called on
 * it, to free the id) until then. *baseline is the word's value when the watch started: changes
 * after it are reported. */
typedef void (*lsm_notify_fn)(void* ctx, uint32_t value, int32_t ended);
#define LSM_FIELD_REVISION 0
#define LSM_FIELD_ACK 1
int32_t lsm_watch_start(lsm_handle handle, int32_t field, uint32_t poll_ms, lsm_notify_fn fn, void* ctx,
                        lsm_handle* watch, uint32_t* baseline, lsm_error* err);
/* As lsm_watch_start, on a queue's count. */
int32_t lsm_queue_watch_start(lsm_handle handle, uint32_t poll_ms, lsm_notify_fn fn, void* ctx,
                              lsm_handle* watch, uint32_t* baseline, lsm_error* err);
/* Ends a watch (if it has not ended) and frees its id; stopping an unknown id does nothing. */
int32_t lsm_watch_stop(lsm_handle watch, lsm_error* err);
/* The ctx a live watch was started with, or NULL for an id that is not live. */
void* lsm_watch_context(lsm_handle watch);

/* ---- raw segments ------------------------------------------------------------------------ */

/* A raw segment is reference counted: open gives one reference; each external ArrayBuffer over the
 * mapping holds another (lsm_segment_retain), and the mapping goes away with the last
 * lsm_segment_release. *base stays valid until then. */
int32_t lsm_segment_open(char* name, size_t name_len, uint64_t size, uint32_t flags, uint32_t mode,
                         lsm_handle* handle, void** base, uint64_t* mapped, lsm_error* err);
int32_t lsm_segment_retain(lsm_handle handle, lsm_error* err);
int32_t lsm_segment_release(lsm_handle handle, lsm_error* err);
/* Copying access, safe against a segment truncated by another process. */
int32_t lsm_segment_read(lsm_handle handle, uint64_t offset, void* dst, size_t len, lsm_error* err);
int32_t lsm_segment_write(lsm_handle handle, uint64_t offset, void* src, size_t len, lsm_error* err);

/* ---- queues ------------------------------------------------------------------------------ */

typedef struct lsm_queue_info {
  uint32_t capacity;
  uint32_t max_message_size;
  uint64_t size; /* bytes mapped */
} lsm_queue_info;

#define LSM_QUEUE_EMPTY (-2)

/* capacity and max_message are required with LSM_OPEN_CREATE; 0 otherwise means "as the header says". */
int32_t lsm_queue_open(char* name, size_t name_len, uint32_t capacity, uint32_t max_message, uint32_t flags,
                       int32_t layout, uint32_t mode, uint32_t lock_timeout_ms, lsm_handle* handle,
                       lsm_queue_info* info, lsm_error* err);
/* Closes the queue and ends its watches, as lsm_stream_close. */
int32_t lsm_queue_close(lsm_handle handle, lsm_error* err);
/* 1: enqueued, 0: full, -1: error. */
int32_t lsm_queue_enqueue(lsm_handle handle, void* data, size_t len, lsm_error* err);
/* Dequeues (or, with peek, copies) the oldest message into dst and returns its length;
 * LSM_QUEUE_EMPTY when there is none. A message longer than cap is neither copied nor removed:
 * its length is returned, and the caller grows dst and calls again. */
int64_t lsm_queue_take(lsm_handle handle, void* dst, size_t cap, int32_t peek, lsm_error* err);
int64_t lsm_queue_len(lsm_handle handle, lsm_error* err);
/* Makes a queue opened without LSM_OPEN_CREATE follow its name when a peer replaces the segment
 * under it (a C++ queue writer restarting), checked at least every poll_ms by its operations and at
 * every poll tick of its watches. state is two u32 the caller keeps valid until lsm_queue_close has
 * returned: [0] is set by watchers (from their threads) to make the next operation look at once,
 * [1] moves each time the queue maps a new segment, whose capacity and sizes lsm_queue_describe
 * then tells. flags are the open's (LSM_OPEN_ALLOW_FOREIGN applies to the new segment too). Call
 * once, right after lsm_queue_open, before any watch starts; a queue that created its segment, and
 * an OS that cannot tell objects apart, ignore it. */
int32_t lsm_queue_reattach(lsm_handle handle, uint32_t poll_ms, uint32_t flags, uint32_t* state, lsm_error* err);
int32_t lsm_queue_describe(lsm_handle handle, lsm_queue_info* info, lsm_error* err);

/* The v2 queue's locks, as bits of the which argument of lsm_queue_break_lock. */
#define LSM_LOCK_PRODUCER 1u
#define LSM_LOCK_CONSUMER 2u
/* As lsm_stream_break_lock, for the locks named by which; the indices and count are repaired as
 * after a dead holder's takeover (with both locks held). broken[0] and broken[1] receive the words
 * broken on the producer and consumer lock (0: free, or not asked for). A lock not asked for is
 * taken normally for the repair, and its timeout is the call's error. */
int32_t lsm_queue_break_lock(lsm_handle handle, uint32_t which, int32_t force, uint32_t broken[2], lsm_error* err);
/* As lsm_stream_stale_lock, with the side's index as the progress word. */
int32_t lsm_queue_stale_lock(lsm_handle handle, uint32_t stale_ms, lsm_error* err);
/* The holders the stale rule last took each lock over from (0: none), as broken of
 * lsm_queue_break_lock; asking clears them. */
int32_t lsm_queue_lock_broken(lsm_handle handle, uint32_t broken[2], lsm_error* err);

/* ---- inspection ------------------------------------------------------------------------- */

/* What a segment's bytes look like (goshm.Shape). */
#define LSM_SHAPE_UNKNOWN 0 /* readable, but fits no layout (a raw segment's bytes, or garbage) */
#define LSM_SHAPE_BLANK 1   /* a header of zeros, or 0 bytes: nothing has been made of it yet */
#define LSM_SHAPE_STREAM 2
#define LSM_SHAPE_QUEUE 3

/* A yes/no answer that may be unknown (goshm.Tri). */
#define LSM_TRI_UNKNOWN (-1)
#define LSM_TRI_NO 0
#define LSM_TRI_YES 1

/* What lsm_inspect found. Fields that do not apply to the segment's kind and layout are 0. */
typedef struct lsm_inspect_info {
  int32_t shape;  /* LSM_SHAPE_* */
  int32_t layout; /* LSM_LAYOUT_*, for a stream or a queue */
  int32_t or_v0;  /* a v1 stream whose header reads the same in v0 */
  uint32_t type;  /* a stream's type bit */
  uint64_t size;  /* the whole segment, in bytes */
  uint32_t length; /* a stream's payload, in bytes */
  uint32_t flags;  /* a stream's flags byte */
  uint32_t revision, ack, lock; /* a v2 stream's header; lock: 0 free, 1 a C++ holder, else a pid */
  int32_t lock_alive;           /* LSM_TRI_*: the lock's holder is a live process here */
  uint32_t capacity, max_message_size, count, read_index, write_index; /* a queue's header */
  uint32_t producer_lock, consumer_lock; /* a v2 queue's locks */
  int32_t producer_alive, consumer_alive;
  int32_t has_owner; /* the OS told uid, mode and mtime */
  uint32_t uid;
  uint32_t mode;
  int32_t in_use;    /* LSM_TRI_*: mapped or announced; LSM_TRI_NO only when both are known no */
  int32_t mapped;    /* LSM_TRI_*: a process of this PID namespace maps it */
  int32_t announced; /* LSM_TRI_*: a writable stream or queue of this engine (any namespace) is open on it */
  int64_t mtime_ms; /* last modification, ms since 1970 (0 unknown) */
  char owner[64];   /* the owner's user name, "" when it does not resolve */
  char error[32];   /* lsm_list: the code of the error that kept the segment from being mapped */
  char name[LSM_MAX_NAME_BYTES + 1];
} lsm_inspect_info;

/* Maps the named segment read-only for the time of the call and describes it. It writes nothing,
 * takes no lock, announces no presence: the segment stays exactly as it was. */
int32_t lsm_inspect(char* name, size_t name_len, lsm_inspect_info* info, lsm_error* err);
/* Inspects every segment this process can see, into infos when there are at most cap of them;
 * returns how many there are (a caller whose array is too small grows it and calls again). A
 * segment that cannot be mapped has only name, size and owner fields, and error set.
 * LSM_KIND_UNSUPPORTED where the OS cannot list segments (macOS). */
int64_t lsm_list(lsm_inspect_info* infos, size_t cap, lsm_error* err);

/* ---- queue fast path --------------------------------------------------------------------- */

/* The fast path of a queue (fast_queue.c), as lsm_fast is a stream's: plain C functions that do
 * the uncontended, valid case of an enqueue, a take (dequeue or peek) and a length look without
 * entering the Go runtime, mirroring the engine (goshm/queue_ops.go, queue_watch.go countAdded):
 * the same lock words with this process's tag, the same stores in the same order, the same wake
 * when the count leaves 0 or capacity. Anything else (a lock held, a message over the fast
 * copy's limit or over max_message, an index or count out of range, a following queue's check
 * due, a fault, a platform without the fault guard) returns LSM_FAST_SLOW having published
 * nothing, and the caller makes the same call through lsm_queue_enqueue / take / len, which
 * waits, takes over, follows and reports every error. A full queue (0) and an empty one
 * (LSM_QUEUE_EMPTY) are answers, not errors: the fast path gives them as the engine would.
 *
 * lsm_queue_fast_state gives the state of an open queue (memory the engine owns until
 * lsm_queue_close; NULL: no fast path for it, the calls go the engine's way). The engine brings
 * it up to date after each of its calls (a following queue may have moved to a new segment), so
 * it is used from the thread that uses the queue, and never after lsm_queue_close. */
/* The header words of a queue (goshm/queue.go), as byte offsets: every one a little-endian u32;
 * layout v1 ends before the locks, where its slots begin. */
#define LSM_QUEUE_WRITE_INDEX 0
#define LSM_QUEUE_READ_INDEX 4
#define LSM_QUEUE_CAPACITY 8
#define LSM_QUEUE_COUNT 12
#define LSM_QUEUE_MAX_MESSAGE 16
#define LSM_QUEUE_PRODUCER_LOCK 20
#define LSM_QUEUE_CONSUMER_LOCK 24

typedef struct lsm_queue_fast {
  uint8_t* base;        /* the mapping */
  uint64_t size;        /* bytes mapped */
  uint64_t slot_size;   /* LSM_QUEUE_SLOT_HEAD + max_message */
  int32_t layout;       /* LSM_LAYOUT_V2 or LSM_LAYOUT_V1 (no locks) */
  uint32_t tag;         /* what this process stores in a lock word it holds (its pid) */
  uint32_t header;      /* LSM_QUEUE_HEADER_V2 or _V1 */
  uint32_t capacity;    /* as validated at open: the header's word is not trusted again */
  uint32_t max_message;
  uint32_t reserved;
  /* A following queue (lsm_queue_reattach): its state cell ([0] due, set by watchers from their
   * threads), and the clock of its checks as lsm_fast's: the fast calls answer LSM_FAST_SLOW while
   * due is set, and set it once check_ns has passed since checked_at. NULL and 0 otherwise. */
  uint32_t* reattach;
  uint64_t check_ns;
  uint64_t checked_at;
} lsm_queue_fast;

lsm_queue_fast* lsm_queue_fast_state(lsm_handle handle);
/* 1: enqueued; 0: full; LSM_FAST_SLOW: use lsm_queue_enqueue. */
int32_t lsm_queue_fast_enqueue(lsm_queue_fast* fast, const void* data, size_t len);
/* As lsm_queue_take (the length; LSM_QUEUE_EMPTY; a length over cap: neither copied nor removed),
 * or LSM_FAST_SLOW. */
int64_t lsm_queue_fast_take(lsm_queue_fast* fast, void* dst, size_t cap, int32_t peek);
/* The count, or LSM_FAST_SLOW. */
int64_t lsm_queue_fast_len(lsm_queue_fast* fast);

#ifdef __cplusplus
}
#endif

#endif
