// Raw segments (SharedMemory): the mappings one environment holds a reference to.
#ifndef LSM_SEGMENTS_H
#define LSM_SEGMENTS_H

#include <string>
#include <unordered_map>

#include "goshm.h"

namespace lsm {

class SegmentRoom {
 public:
  struct Mapping {
    void* base;
    size_t size;
    // A non-persistent segment's name, removed by segmentClose, or by ReleaseAll when the
    // environment goes first (a worker terminated, process.exit()). Empty for a persistent one.
    std::string unlink;
  };
  void Add(lsm_handle h, Mapping m) { open_[h] = std::move(m); }
  const Mapping* Find(lsm_handle h) const {
    auto it = open_.find(h);
    return it == open_.end() ? nullptr : &it->second;
  }
  // Forgets h, handing over the name to remove (Mapping::unlink); false if this environment did
  // not hold it.
  bool Drop(lsm_handle h, std::string* unlink) {
    auto it = open_.find(h);
    if (it == open_.end()) return false;
    *unlink = std::move(it->second.unlink);
    open_.erase(it);
    return true;
  }
  void ReleaseAll(lsm_error* err) {
    for (auto& entry : open_) {
      lsm_segment_release(entry.first, err);
      const std::string& name = entry.second.unlink;
      if (!name.empty()) lsm_unlink(const_cast<char*>(name.data()), name.size(), err);
    }
    open_.clear();
  }

 private:
  std::unordered_map<lsm_handle, Mapping> open_;
};

}  // namespace lsm

#endif
