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
  // Remembers an open stream and its fast-path state (which may be null: slow path only).
  void Add(uint32_t h, lsm_fast* fast);
  // Forgets a stream; the caller closes it in the engine afterwards (the engine frees the state).
  void Drop(uint32_t h);
  void CloseAll(lsm_error* err);

  // The engine's calls, through the fast path when it can: same results and errors either way.
  int32_t Write(uint32_t h, uint32_t type, void* data, size_t len, lsm_error* err);
  int64_t Read(uint32_t h, uint32_t type, void* dst, size_t cap, uint32_t* flags, lsm_error* err);
  int32_t Flags(uint32_t h, lsm_error* err);
  // The revision of the value this stream last read (v2), shared by the fast path and the engine.
  int64_t Seen(uint32_t h, lsm_error* err);

 private:
  // By the index bits of the handle (distinct among live handles, goshm.h); a slot whose handle
  // does not match is empty.
  struct Slot {
    uint32_t handle = 0;
    lsm_fast* fast = nullptr;
  };
  static constexpr uint32_t kIndexMask = (1u << LSM_HANDLE_INDEX_BITS) - 1;
  lsm_fast* FastOf(uint32_t h) const {
    size_t i = h & kIndexMask;
    return i < slots_.size() && slots_[i].handle == h ? slots_[i].fast : nullptr;
  }
  std::vector<Slot> slots_;
};

// The stream's value as read() returns it (string, Float32Array, Float64Array, Buffer or null). On
// failure it returns nullptr and *error holds the error to throw or hand on.
napi_value ReadValue(napi_env env, State& state, uint32_t h, napi_value* error);

}  // namespace lsm

#endif
