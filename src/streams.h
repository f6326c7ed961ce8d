// Streams (NodeSharedMemoryWriteStream / ReadStream): the open streams of one environment and the
// three operations that try the engine's C fast path before the Go call.
#ifndef LSM_STREAMS_H
#define LSM_STREAMS_H

#include <napi.h>

#include <vector>

#include "goshm.h"

namespace lsm {

struct State;

class StreamRoom {
 public:
  // Remembers an open stream and its fast-path state, which also holds its reader state.
  void Add(lsm_handle h, lsm_fast* fast);
  // Forgets a stream; the caller closes it in the engine afterwards (the engine frees the state).
  void Drop(napi_env env, lsm_handle h);
  void CloseAll(lsm_error* err);

  // The engine's calls, through the fast path when it can: same results and errors either way.
  int32_t Write(lsm_handle h, uint32_t type, void* data, size_t len, lsm_error* err);
  int64_t Read(lsm_handle h, uint32_t type, void* dst, size_t cap, uint32_t* flags, lsm_error* err) {
    return ReadWhole(h, type, dst, cap, 1, flags, err);
  }
  // Read into an array of unit-byte elements (a power of two): only whole elements are copied.
  int64_t ReadWhole(lsm_handle h, uint32_t type, void* dst, size_t cap, uint32_t unit, uint32_t* flags,
                    lsm_error* err);
  int32_t Flags(lsm_handle h, lsm_error* err);
  // The revision of the value this stream last read (v2), shared by the fast path and the engine.
  int64_t Seen(lsm_handle h, lsm_error* err);

  // A reader that follows its name to new segments (lsm_stream_reattach) shows JavaScript its
  // generation and mapped size in cell (a Uint32Array of 2 it owns, held by ref), brought up to
  // date after every engine call that may move it: JavaScript compares one element after a read
  // instead of asking. The ref is deleted with the slot.
  void SetCell(napi_env env, lsm_handle h, uint32_t* cell, napi_ref ref);
  // After an engine call on h: the cell catches up with a move.
  void Sync(lsm_handle h) {
    size_t i = static_cast<size_t>(h & kIndexMask);
    if (i < slots_.size() && slots_[i].handle == h && slots_[i].cell != nullptr && slots_[i].fast != nullptr) {
      slots_[i].cell[0] = slots_[i].fast->generation;
      slots_[i].cell[1] = static_cast<uint32_t>(slots_[i].fast->size);
    }
  }
  // Whether a following reader's next read goes the engine's way to check its name (goshm.h).
  bool Due(lsm_handle h) const {
    lsm_fast* f = FastOf(h);
    return f != nullptr && __atomic_load_n(&f->reattach_due, __ATOMIC_RELAXED) != 0;
  }
  uint32_t Generation(lsm_handle h) const {
    lsm_fast* f = FastOf(h);
    return f == nullptr ? 0 : f->generation;
  }

  // The reader state of a stream (what hasNewData() and markAsRead() go by) as it is before a
  // read, to put back when the value read cannot be handed to JavaScript: a read that throws
  // changes nothing.
  struct ReaderMark {
    lsm_fast* fast = nullptr;
    uint32_t seen = 0;
    uint32_t has_read = 0;
    uint32_t generation = 0;
  };
  ReaderMark Mark(lsm_handle h) const {
    lsm_fast* f = FastOf(h);
    return f == nullptr ? ReaderMark{} : ReaderMark{f, f->seen, f->has_read, f->generation};
  }
  // Only from the thread that read, before any other call on the stream (goshm.h lsm_fast). A
  // read that moved the stream to a new segment (the generation changed) cannot go back to the
  // old one's state: it leaves the state a move sets, nothing read yet.
  static void Restore(const ReaderMark& m) {
    if (m.fast == nullptr) return;
    if (m.fast->generation != m.generation) {
      m.fast->seen = 0, m.fast->has_read = 0;
    } else {
      m.fast->seen = m.seen, m.fast->has_read = m.has_read;
    }
  }

 private:
  // By the index bits of the handle (distinct among live handles, goshm.h); a slot whose handle
  // does not match is empty.
  struct Slot {
    lsm_handle handle = 0;
    lsm_fast* fast = nullptr;
    uint32_t* cell = nullptr;
    napi_ref cell_ref = nullptr;
  };
  static constexpr lsm_handle kIndexMask = (lsm_handle{1} << LSM_HANDLE_INDEX_BITS) - 1;
  lsm_fast* FastOf(lsm_handle h) const {
    size_t i = static_cast<size_t>(h & kIndexMask);
    return i < slots_.size() && slots_[i].handle == h ? slots_[i].fast : nullptr;
  }
  std::vector<Slot> slots_;
};

// The stream's value as read() returns it (string, Float32Array, Float64Array, Buffer or null). On
// failure it returns nullptr and *error holds the error to throw or hand on.
napi_value ReadValue(napi_env env, State& state, lsm_handle h, napi_value* error);

}  // namespace lsm

#endif
