// The per-environment staging buffer for strings and reads: one per thread that uses the module,
// never shared. Growing it does not zero-fill and does not keep the contents: every caller writes
// what it then uses.
#ifndef LSM_SCRATCH_H
#define LSM_SCRATCH_H

#include <cstddef>
#include <memory>
#include <new>

namespace lsm {

class Scratch {
 public:
  // Payloads up to this size are read through the scratch buffer; larger typed arrays are read
  // straight into their own ArrayBuffer to save a copy.
  static constexpr size_t kBytes = 64 * 1024;
  // A buffer grown past this for one large message is given back after the call, so that one
  // 200 MB message does not pin 200 MB for the life of the thread.
  static constexpr size_t kKeep = 8 * 1024 * 1024;

  Scratch() : size_(kBytes), data_(new char[kBytes]) {}
  char* data() { return data_.get(); }
  size_t size() const { return size_; }

  // Grows the buffer to at least n bytes; false (and the buffer as it was) when memory is short.
  bool Reserve(size_t n) {
    if (n <= size_) return true;
    std::unique_ptr<char[]> bigger(new (std::nothrow) char[n]);
    if (!bigger) return false;
    data_ = std::move(bigger);
    size_ = n;
    return true;
  }

  void Trim() {
    if (size_ > kKeep) {
      std::unique_ptr<char[]> small(new (std::nothrow) char[kBytes]);
      if (!small) return;  // keep the large one rather than have none
      data_ = std::move(small);
      size_ = kBytes;
    }
  }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

}  // namespace lsm

#endif
