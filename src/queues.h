// Queues (NodeSharedMemoryQueue): the queues one environment has open.
#ifndef LSM_QUEUES_H
#define LSM_QUEUES_H

#include <node_api.h>

#include <unordered_map>

#include "goshm.h"

namespace lsm {

class QueueRoom {
 public:
  void Add(lsm_handle h) { open_.emplace(h, nullptr); }
  // After lsm_queue_close: the engine's watchers may store into a following queue's state (the
  // JavaScript cell this ref holds) until then.
  void Drop(napi_env env, lsm_handle h) {
    auto it = open_.find(h);
    if (it == open_.end()) return;
    if (it->second != nullptr) napi_delete_reference(env, it->second);
    open_.erase(it);
  }
  // A following queue's reattach state lives in a JavaScript Uint32Array (lsm_queue_reattach),
  // kept alive by ref until Drop. False if h is not open here (the caller deletes ref).
  bool KeepCell(lsm_handle h, napi_ref ref) {
    auto it = open_.find(h);
    if (it == open_.end() || it->second != nullptr) return false;
    it->second = ref;
    return true;
  }
  void CloseAll(lsm_error* err) {
    for (const auto& q : open_) lsm_queue_close(q.first, err);
    open_.clear();
  }

 private:
  std::unordered_map<lsm_handle, napi_ref> open_;  // with the ref of a following queue's cell
};

}  // namespace lsm

#endif
