// Queues (NodeSharedMemoryQueue): the queues one environment has open.
#ifndef LSM_QUEUES_H
#define LSM_QUEUES_H

#include <unordered_set>

#include "goshm.h"

namespace lsm {

class QueueRoom {
 public:
  void Add(lsm_handle h) { open_.insert(h); }
  void Drop(lsm_handle h) { open_.erase(h); }
  void CloseAll(lsm_error* err) {
    for (lsm_handle h : open_) lsm_queue_close(h, err);
    open_.clear();
  }

 private:
  std::unordered_set<lsm_handle> open_;
};

}  // namespace lsm

#endif
