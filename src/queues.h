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
    if (lsm_queue_fast* f = FastOf(h)) {
      int32_t rc = lsm_queue_fast_enqueue(f, data, len);
      if (rc != LSM_FAST_SLOW) return rc;
    }
    return lsm_queue_enqueue(h, data, len, err);
  }
  int64_t Take(lsm_handle h, void* dst, size_t cap, int32_t peek, lsm_error* err) {
    if (lsm_queue_fast* f = FastOf(h)) {
      int64_t n = lsm_queue_fast_take(f, dst, cap, peek);
      if (n != LSM_FAST_SLOW) return n;
    }
    return lsm_queue_take(h, dst, cap, peek, err);
  }
  int64_t Len(lsm_handle h, lsm_error* err) {
    if (lsm_queue_fast* f = FastOf(h)) {
      int64_t n = lsm_queue_fast_len(f);
      if (n != LSM_FAST_SLOW) return n;
    }
    return lsm_queue_len(h, err);
  }

 private:
  // By the index bits of the handle (distinct among live handles, goshm.h), as StreamRoom's; a
  // slot whose handle does not match is empty. A fast of nullptr: the engine's way only.
  struct Slot {
    lsm_handle handle = 0;
    lsm_queue_fast* fast = nullptr;
    napi_ref cell_ref = nullptr;  // a following queue's cell
  };
  static constexpr lsm_handle kIndexMask = (lsm_handle{1} << LSM_HANDLE_INDEX_BITS) - 1;
  Slot* SlotOf(lsm_handle h) {
    size_t i = static_cast<size_t>(h & kIndexMask);
    return i < slots_.size() && slots_[i].handle == h ? &slots_[i] : nullptr;
  }
  lsm_queue_fast* FastOf(lsm_handle h) {
    Slot* s = SlotOf(h);
    return s != nullptr ? s->fast : nullptr;
  }
  std::vector<Slot> slots_;
};

}  // namespace lsm

#endif
