// Queues (NodeSharedMemoryQueue): the queues one environment has open, and the operations that try
// the engine's C fast path (goshm.h "queue fast path") before the Go call.
#ifndef LSM_QUEUES_H
#define LSM_QUEUES_H

#include <node_api.h>

#include <vector>

#include "goshm.h"

namespace lsm {

class QueueRoom {
 public:
  void Add(lsm_handle h) {
    size_t i = static_cast<size_t>(h & kIndexMask);
    if (i >= slots_.size()) slots_.resize(i + 1);
    slots_[i] = Slot{h, lsm_queue_fast_state(h), nullptr};
  }
  // Stops using the fast-path state, which lsm_queue_close frees: call it before the close.
  void Forget(lsm_handle h) {
    if (Slot* s = SlotOf(h)) s->fast = nullptr;
  }
  // After lsm_queue_close: the engine's watchers may store into a following queue's state (the
  // JavaScript cell this ref holds) until then.
  void Drop(napi_env env, lsm_handle h) {
    Slot* s = SlotOf(h);
    if (s == nullptr) return;
    if (s->cell_ref != nullptr) napi_delete_reference(env, s->cell_ref);
    *s = Slot{};
  }
  // A following queue's reattach state lives in a JavaScript Uint32Array (lsm_queue_reattach),
  // kept alive by ref until Drop. False if h is not open here (the caller deletes ref).
  bool KeepCell(lsm_handle h, napi_ref ref) {
    Slot* s = SlotOf(h);
    if (s == nullptr || s->cell_ref != nullptr) return false;
    s->cell_ref = ref;
    return true;
  }
  void CloseAll(lsm_error* err) {
    std::vector<Slot> open;
    open.swap(slots_);  // forgotten before the engine frees what the slots point to
    for (const Slot& s : open) {
      if (s.handle != 0) lsm_queue_close(s.handle, err);
    }
  }

  // The engine's calls, through the fast path when it can: same results and errors either way.
  int32_t Enqueue(lsm_handle h, void* data, size_t len, lsm_error* err) {
    Slot* s = SlotOf(h);
    if (s != nullptr && s->fast != nullptr) {
      int32_t rc = lsm_queue_fast_enqueue(s->fast, data, len);
      if (rc != LSM_FAST_SLOW) return rc;
    }
    if (s != nullptr) s->engine_calls++;
    return lsm_queue_enqueue(h, data, len, err);
  }
  int64_t Take(lsm_handle h, void* dst, size_t cap, int32_t peek, lsm_error* err) {
    Slot* s = SlotOf(h);
    if (s != nullptr && s->fast != nullptr) {
      int64_t n = lsm_queue_fast_take(s->fast, dst, cap, peek);
      if (n != LSM_FAST_SLOW) return n;
    }
    if (s != nullptr) s->engine_calls++;
    return lsm_queue_take(h, dst, cap, peek, err);
  }
  int64_t Len(lsm_handle h, lsm_error* err) {
    Slot* s = SlotOf(h);
    if (s != nullptr && s->fast != nullptr) {
      int64_t n = lsm_queue_fast_len(s->fast);
      if (n != LSM_FAST_SLOW) return n;
    }
    if (s != nullptr) s->engine_calls++;
    return lsm_queue_len(h, err);
  }
  // How many of the queue's operations went the engine's way: what tells, without timing, that
  // the fast path took a case or handed it on (test/84-queue-fast.js). -1: not open here.
  double EngineCalls(lsm_handle h) {
    Slot* s = SlotOf(h);
    return s != nullptr ? static_cast<double>(s->engine_calls) : -1;
  }

 private:
  // By the index bits of the handle (distinct among live handles, goshm.h), as StreamRoom's; a
  // slot whose handle does not match is empty. A fast of nullptr: the engine's way only.
  struct Slot {
    lsm_handle handle = 0;
    lsm_queue_fast* fast = nullptr;
    napi_ref cell_ref = nullptr;  // a following queue's cell
    uint64_t engine_calls = 0;
  };
  static constexpr lsm_handle kIndexMask = (lsm_handle{1} << LSM_HANDLE_INDEX_BITS) - 1;
  Slot* SlotOf(lsm_handle h) {
    size_t i = static_cast<size_t>(h & kIndexMask);
    return i < slots_.size() && slots_[i].handle == h ? &slots_[i] : nullptr;
  }
  std::vector<Slot> slots_;
};

}  // namespace lsm

#endif
