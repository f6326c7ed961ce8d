// The per-environment staging buffer for strings and reads: one per thread that uses the module,
// never shared. Growing it does not zero-fill and does not keep the contents: every caller writes
// what it then uses.
#ifndef LSM_SCRATCH_H
#define LSM_SCRATCH_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "goshm.h"

namespace lsm {

class Scratch {
 public:
  // Payloads up to this size are read through the scratch buffer; larger typed arrays are read
  // straight into their own ArrayBuffer to save a copy.
  static constexpr size_t kBytes = 64 * 1024;
  // A buffer grown past this for one large message is given back after the call, so that one
  // 200 MB message does not pin 200 MB for the life of the thread.
  static constexpr size_t kKeep = 8 * 1024 * 1024;

  Scratch() { Reserve(kBytes); }
  char* data() { return data_; }
  size_t size() const { return size_; }

  // Grows the buffer to at least n bytes; false (and the buffer as it was) when memory is short.
  bool Reserve(size_t n) {
    if (data_ != nullptr && n <= size_) return true;
    std::unique_ptr<char[]> bigger(new (std::nothrow) char[n + kPage]);
    if (!bigger) return false;
    Use(std::move(bigger), n);
    return true;
  }

  void Trim() {
    if (size_ > kKeep) {
      std::unique_ptr<char[]> small(new (std::nothrow) char[kBytes + kPage]);
      if (!small) return;  // keep the large one rather than have none
      Use(std::move(small), kBytes);
    }
  }

 private:
  // The buffer starts at the page offset of a v2 payload, so that a copy between it and a segment
  // moves between addresses equal modulo the page: memcpy's fastest case, and never the distance
  // at which it is slow on AMD CPUs (goshm/cabi/fast.c copy_bytes).
  static constexpr size_t kPage = 4096;
  static constexpr uintptr_t kPageOffset = LSM_V2_DATA;

  void Use(std::unique_ptr<char[]> raw, size_t n) {
    uintptr_t at = reinterpret_cast<uintptr_t>(raw.get());
    data_ = raw.get() + ((kPageOffset - at) & (kPage - 1));
    raw_ = std::move(raw);
    size_ = n;
  }

  size_t size_ = 0;
  char* data_ = nullptr;
  std::unique_ptr<char[]> raw_;
};

}  // namespace lsm

#endif
