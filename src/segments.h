// Raw segments (SharedMemory): the mappings one environment holds a reference to.
#ifndef LSM_SEGMENTS_H
#define LSM_SEGMENTS_H

#include <unordered_map>

#include "goshm.h"

namespace lsm {

class SegmentRoom {
 public:
  struct Mapping {
    void* base;
    size_t size;
  };
  void Add(uint32_t h, Mapping m) { open_[h] = m; }
  const Mapping* Find(uint32_t h) const {
    auto it = open_.find(h);
    return it == open_.end() ? nullptr : &it->second;
  }
  // Forgets h; false if this environment did not hold it.
  bool Drop(uint32_t h) { return open_.erase(h) != 0; }
  void ReleaseAll(lsm_error* err) {
    for (auto& entry : open_) lsm_segment_release(entry.first, err);
    open_.clear();
  }

 private:
  std::unordered_map<uint32_t, Mapping> open_;
};

}  // namespace lsm

#endif
