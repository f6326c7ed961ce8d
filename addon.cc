// addon.cc: the N-API glue of node-libsharedmemory. It converts JavaScript values, calls the C ABI
// of the Go engine (goshm/cabi/goshm.h) once per operation, and turns engine errors into JavaScript
// errors. Argument checking lives in lib/ (JavaScript); here only cheap type guards remain.
// Stream writes, reads and flags looks try the engine's C fast path first (lsm_fast_*, which never
// enters the Go runtime) and make the Go call only when it answers LSM_FAST_SLOW.
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "goshm.h"

namespace {

// Type bits of the flags byte (SPEC §2.1); the engine stores whichever it is given.
constexpr uint32_t kTypeString = 2;
constexpr uint32_t kTypeFloat = 4;
constexpr uint32_t kTypeDouble = 8;
constexpr uint32_t kTypeBytes = 16;

// Payloads up to this size are read through the per-environment scratch buffer; larger typed
// arrays are read straight into their own ArrayBuffer to save a copy.
constexpr size_t kScratchBytes = 64 * 1024;
// A scratch buffer grown past this for one large message is given back after the call, so that one
// 200 MB message does not pin 200 MB for the life of the thread.
constexpr size_t kScratchKeep = 8 * 1024 * 1024;

// The per-environment staging buffer for strings and reads. Growing it does not zero-fill and does
// not keep the contents: every caller writes what it then uses.
class Scratch {
 public:
  explicit Scratch(size_t n) : size_(n), data_(new char[n]) {}
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  void Reserve(size_t n) {
    if (n > size_) {
      data_.reset(new char[n]);
      size_ = n;
    }
  }
  void Trim() {
    if (size_ > kScratchKeep) {
      data_.reset(new char[kScratchBytes]);
      size_ = kScratchBytes;
    }
  }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

// Engine error kinds that are RangeErrors in JavaScript (goshm.KindArg, goshm.KindTooLarge).
constexpr int32_t kKindArg = 2;
constexpr int32_t kKindTooLarge = 3;
constexpr int32_t kKindOS = 1;

// One engine watcher delivered to JavaScript through a thread-safe function. The engine calls
// OnChange from its own thread; `pending` coalesces the calls so that at most one JavaScript call
// is queued at a time. CallJs clears it before running the JavaScript callback, which then reads
// the current state: a change made after that clears sets it again, so the last one is never
// missed.
struct Watch {
  napi_threadsafe_function tsfn = nullptr;
  uint32_t id = 0;
  std::atomic<bool> pending{false};
};

void OnChange(void* ctx, uint32_t) {
  auto* w = static_cast<Watch*>(ctx);
  if (!w->pending.exchange(true, std::memory_order_acq_rel)) {
    napi_call_threadsafe_function(w->tsfn, nullptr, napi_tsfn_nonblocking);
  }
}

void CallJs(napi_env env, napi_value callback, void* context, void*) {
  static_cast<Watch*>(context)->pending.store(false, std::memory_order_release);
  if (env == nullptr || callback == nullptr) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 0, nullptr, nullptr);
}

// Runs on the JavaScript thread when the thread-safe function is destroyed: after watchStop, or
// when the environment is torn down (worker terminated, process exiting) with the watch still on.
// Stopping the engine watcher first guarantees OnChange is never called with a dead tsfn.
void FinalizeWatch(napi_env, void* data, void*) {
  auto* w = static_cast<Watch*>(data);
  lsm_error err;
  lsm_watch_stop(w->id, &err);
  delete w;
}

// One instance per Node.js environment (main thread or worker): the scratch buffer and the set of
// open handles are never shared between threads. When the environment goes away (worker
// terminated, process exiting) the destructor closes every handle it still owns, which also
// removes non-persistent segments.
class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : scratch_(kScratchBytes) {
    DefineAddon(exports, {
        InstanceMethod("streamOpen", &Addon::StreamOpen),
        InstanceMethod("streamClose", &Addon::StreamClose),
        InstanceMethod("streamInfo", &Addon::StreamInfo),
        InstanceMethod("writeString", &Addon::WriteString),
        InstanceMethod("writeView", &Addon::WriteView),
        InstanceMethod("readString", &Addon::ReadString),
        InstanceMethod("readFloatArray", &Addon::ReadFloatArray),
        InstanceMethod("readDoubleArray", &Addon::ReadDoubleArray),
        InstanceMethod("readFlags", &Addon::ReadFlags),
        InstanceMethod("unlink", &Addon::Unlink),
        InstanceMethod("read", &Addon::Read),
        InstanceMethod("readBuffer", &Addon::ReadBuffer),
        InstanceMethod("readInto", &Addon::ReadInto),
        InstanceMethod("query", &Addon::Query),
        InstanceMethod("watchStart", &Addon::WatchStart),
        InstanceMethod("watchStop", &Addon::WatchStop),
        InstanceMethod("watchRef", &Addon::WatchRef),
        InstanceMethod("segmentOpen", &Addon::SegmentOpen),
        InstanceMethod("segmentBuffer", &Addon::SegmentBuffer),
        InstanceMethod("segmentClose", &Addon::SegmentClose),
        InstanceMethod("segmentRead", &Addon::SegmentRead),
        InstanceMethod("segmentWrite", &Addon::SegmentWrite),
        InstanceMethod("closeAll", &Addon::CloseAll),
        InstanceMethod("queueOpen", &Addon::QueueOpen),
        InstanceMethod("queueClose", &Addon::QueueClose),
        InstanceMethod("queueEnqueue", &Addon::QueueEnqueue),
        InstanceMethod("queueTake", &Addon::QueueTake),
        InstanceMethod("queueLen", &Addon::QueueLen),
        InstanceMethod("queueWatchStart", &Addon::QueueWatchStart),
    });
  }

  ~Addon() { ReleaseAll(); }

 private:
  // Throws the engine error in err_ as a JavaScript exception and returns undefined.
  Napi::Value Throw(Napi::Env env) {
    Napi::Error error = (err_.kind == kKindArg || err_.kind == kKindTooLarge)
                            ? Napi::Error(Napi::RangeError::New(env, err_.message))
                            : Napi::Error::New(env, err_.message);
    error.Set("code", Napi::String::New(env, err_.code));
    if (err_.kind == kKindOS) {
      // Negative errno and a syscall name, as Node's own fs errors have.
      error.Set("errno", Napi::Number::New(env, -err_.errnum));
      error.Set("syscall", Napi::String::New(env, err_.syscall));
    }
    if (err_.segment[0] != '\0') error.Set("segment", Napi::String::New(env, err_.segment));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // Closes every stream and drops every segment reference this environment still holds; what
  // JavaScript still refers to then reports ERR_SHM_CLOSED.
  void ReleaseAll() {
    lsm_error err;
    fast_.clear();  // before the engine frees what they point to
    for (uint32_t h : open_) lsm_stream_close(h, &err);
    open_.clear();
    for (auto& entry : segments_) lsm_segment_release(entry.first, &err);
    segments_.clear();
    for (uint32_t h : queues_) lsm_queue_close(h, &err);
    queues_.clear();
  }

  // closeAll(): run on process 'exit', which process.exit() and uncaught exceptions reach
  // without tearing the environment down, so non-persistent segments are still removed.
  Napi::Value CloseAll(const Napi::CallbackInfo& info) {
    ReleaseAll();
    return info.Env().Undefined();
  }

  static uint32_t HandleOf(const Napi::CallbackInfo& info) {
    uint32_t h = 0;
    napi_get_value_uint32(info.Env(), info[0], &h);
    return h;
  }

  // streamOpen(name, size, flags, layout, mode, lockTimeoutMs) -> handle
  Napi::Value StreamOpen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    uint64_t size = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
    uint32_t flags = info[2].As<Napi::Number>().Uint32Value();
    int32_t layout = info[3].As<Napi::Number>().Int32Value();
    uint32_t mode = info[4].As<Napi::Number>().Uint32Value();
    uint32_t timeout = info[5].As<Napi::Number>().Uint32Value();
    uint32_t h = 0;
    lsm_fast* fast = nullptr;
    if (lsm_stream_open(const_cast<char*>(name.data()), name.size(), size, flags, layout, mode,
                        timeout, &h, &fast, &err_) < 0) {
      return Throw(env);
    }
    open_.insert(h);
    FastAdd(h, fast);
    return Napi::Number::New(env, h);
  }

  Napi::Value StreamClose(const Napi::CallbackInfo& info) {
    uint32_t h = HandleOf(info);
    open_.erase(h);
    FastDrop(h);  // before the engine frees it
    if (lsm_stream_close(h, &err_) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  // streamInfo(handle) -> { size, created }
  Napi::Value StreamInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    lsm_stream_info si;
    if (lsm_stream_info_get(HandleOf(info), &si, &err_) < 0) return Throw(env);
    Napi::Object out = Napi::Object::New(env);
    out.Set("size", Napi::Number::New(env, static_cast<double>(si.size)));
    out.Set("created", Napi::Boolean::New(env, si.created != 0));
    return out;
  }

  // The fast-path state of each open stream of this environment, by the index bits of its handle
  // (distinct among live handles, goshm.h); a slot whose handle does not match is empty.
  struct FastSlot {
    uint32_t handle = 0;
    lsm_fast* fast = nullptr;
  };
  static constexpr uint32_t kHandleIndexMask = (1u << LSM_HANDLE_INDEX_BITS) - 1;

  lsm_fast* FastOf(uint32_t h) const {
    size_t i = h & kHandleIndexMask;
    return i < fast_.size() && fast_[i].handle == h ? fast_[i].fast : nullptr;
  }
  void FastAdd(uint32_t h, lsm_fast* fast) {
    if (fast == nullptr) return;
    size_t i = h & kHandleIndexMask;
    if (i >= fast_.size()) fast_.resize(i + 1);
    fast_[i] = FastSlot{h, fast};
  }
  void FastDrop(uint32_t h) {
    size_t i = h & kHandleIndexMask;
    if (i < fast_.size() && fast_[i].handle == h) fast_[i] = FastSlot{};
  }

  // The three stream operations: the C fast path when it can, else the engine (which waits,
  // times out, takes over, and fills err_ on failure). Same results and errors either way.
  int32_t StreamWrite(uint32_t h, uint32_t type, void* data, size_t len) {
    if (lsm_fast* f = FastOf(h)) {
      int32_t rc = lsm_fast_write(f, type, data, len);
      if (rc != LSM_FAST_SLOW) return rc;
    }
    return lsm_stream_write(h, type, data, len, &err_);
  }
  int64_t StreamRead(uint32_t h, uint32_t type, void* dst, size_t cap, uint32_t* flags) {
    if (lsm_fast* f = FastOf(h)) {
      int64_t n = lsm_fast_read(f, type, dst, cap, flags);
      if (n != LSM_FAST_SLOW) return n;
    }
    return lsm_stream_read(h, type, dst, cap, flags, &err_);
  }
  int32_t StreamFlags(uint32_t h) {
    if (lsm_fast* f = FastOf(h)) {
      int32_t v = lsm_fast_flags(f);
      if (v != LSM_FAST_SLOW) return v;
    }
    return lsm_stream_flags(h, &err_);
  }

  // Encodes a string as UTF-8 into the scratch buffer. The first try assumes it fits; V8 stops
  // before a character that would not fit (so up to 3 bytes short), and a string that may not have
  // fitted is copied again into a buffer sized for it: 3 bytes per UTF-16 unit at most.
  bool StringToScratch(napi_env env, napi_value str, size_t* len) {
    if (napi_get_value_string_utf8(env, str, scratch_.data(), scratch_.size(), len) != napi_ok) return false;
    if (*len + 4 < scratch_.size()) return true;
    size_t units = 0;
    napi_get_value_string_utf16(env, str, nullptr, 0, &units);
    size_t need = units * 3 + 1;
    if (need > kScratchKeep) {  // measure exactly rather than triple a huge buffer
      napi_get_value_string_utf8(env, str, nullptr, 0, len);
      need = *len + 1;
    }
    scratch_.Reserve(need);
    return napi_get_value_string_utf8(env, str, scratch_.data(), scratch_.size(), len) == napi_ok;
  }

  // writeString(handle, string): UTF-8 into the scratch buffer, then one engine call.
  Napi::Value WriteString(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    size_t len = 0;
    if (!StringToScratch(env, info[1], &len)) {
      Napi::TypeError::New(env, "value must be a string").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    int32_t rc = StreamWrite(HandleOf(info), kTypeString, scratch_.data(), len);
    scratch_.Trim();
    if (rc < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  // Finds the bytes of any ArrayBufferView (typed array, Buffer or DataView).
  static bool ViewBytes(napi_env env, napi_value view, void** data, size_t* bytes, size_t* element) {
    bool is_dataview = false;
    napi_is_dataview(env, view, &is_dataview);
    if (is_dataview) {
      *element = 1;
      return napi_get_dataview_info(env, view, bytes, data, nullptr, nullptr) == napi_ok;
    }
    napi_typedarray_type type;
    size_t length = 0;
    if (napi_get_typedarray_info(env, view, &type, &length, data, nullptr, nullptr) != napi_ok) return false;
    switch (type) {
      case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: *element = 1; break;
      case napi_int16_array: case napi_uint16_array: *element = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: *element = 4; break;
      default: *element = 8; break;  // float64, bigint64, biguint64
    }
    *bytes = length * *element;
    return true;
  }

  // writeView(handle, view, typeBit): the engine copies straight from the view's memory.
  Napi::Value WriteView(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    void* data = nullptr;
    size_t bytes = 0, element = 1;
    if (!ViewBytes(env, info[1], &data, &bytes, &element)) {
      Napi::TypeError::New(env, "value must be an ArrayBufferView").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    uint32_t bit = 0;
    napi_get_value_uint32(env, info[2], &bit);
    if (StreamWrite(HandleOf(info), bit, data, bytes) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  // Reads the payload into the scratch buffer, growing it until the payload fits. Returns the
  // payload size, or -1 with err_ set.
  int64_t ReadToScratch(uint32_t h, uint32_t type, uint32_t* flags) {
    for (;;) {
      int64_t n = StreamRead(h, type, scratch_.data(), scratch_.size(), flags);
      if (n < 0 || static_cast<uint64_t>(n) <= scratch_.size()) return n;
      scratch_.Reserve(static_cast<size_t>(n));
    }
  }

  Napi::Value ReadString(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t flags = 0;
    int64_t n = ReadToScratch(HandleOf(info), kTypeString, &flags);
    if (n < 0) return Throw(env);
    napi_value out;
    napi_create_string_utf8(env, scratch_.data(), static_cast<size_t>(n), &out);
    scratch_.Trim();
    return Napi::Value(env, out);
  }

  // Returns a new typed array holding a copy of the payload, floor(size / element) elements long.
  // Small payloads go through the scratch buffer; large ones are read directly into a fresh
  // ArrayBuffer, re-read if the payload changed size in between.
  template <typename T>
  Napi::Value ReadTyped(const Napi::CallbackInfo& info, uint32_t type) {
    Napi::Env env = info.Env();
    uint32_t h = HandleOf(info);
    uint32_t flags = 0;
    int64_t n = StreamRead(h, type, scratch_.data(), kScratchBytes, &flags);
    if (n < 0) return Throw(env);
    size_t bytes = static_cast<size_t>(n);
    if (bytes <= kScratchBytes) {
      size_t count = bytes / sizeof(T);
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, count * sizeof(T));
      if (count) std::memcpy(ab.Data(), scratch_.data(), count * sizeof(T));
      return Napi::TypedArrayOf<T>::New(env, count, ab, 0);
    }
    for (;;) {
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
      int64_t got = StreamRead(h, type, ab.Data(), bytes, &flags);
      if (got < 0) return Throw(env);
      if (static_cast<size_t>(got) == bytes) {
        return Napi::TypedArrayOf<T>::New(env, bytes / sizeof(T), ab, 0);
      }
      bytes = static_cast<size_t>(got);  // a writer changed the size between the two reads
    }
  }

  Napi::Value ReadFloatArray(const Napi::CallbackInfo& info) {
    return ReadTyped<float>(info, kTypeFloat);
  }

  Napi::Value ReadDoubleArray(const Napi::CallbackInfo& info) {
    return ReadTyped<double>(info, kTypeDouble);
  }

  Napi::Value ReadFlags(const Napi::CallbackInfo& info) {
    int32_t f = StreamFlags(HandleOf(info));
    if (f < 0) return Throw(info.Env());
    return Napi::Number::New(info.Env(), f);
  }

  // read(handle): the value by the type bits of the flags byte, read together with it: a string,
  // Float32Array, Float64Array or Buffer, or null when no type bit is set (nothing written yet).
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t flags = 0;
    int64_t n = ReadToScratch(HandleOf(info), 0, &flags);
    if (n < 0) return Throw(env);
    size_t bytes = static_cast<size_t>(n);
    Napi::Value out = env.Null();
    if (flags & kTypeString) {
      out = Napi::String::New(env, scratch_.data(), bytes);
    } else if (flags & kTypeFloat) {
      out = CopyTyped<float>(env, bytes);
    } else if (flags & kTypeDouble) {
      out = CopyTyped<double>(env, bytes);
    } else if (flags & kTypeBytes) {
      out = Napi::Buffer<char>::Copy(env, scratch_.data(), bytes);
    }
    scratch_.Trim();
    return out;
  }

  template <typename T>
  Napi::Value CopyTyped(Napi::Env env, size_t bytes) {
    size_t count = bytes / sizeof(T);
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, count * sizeof(T));
    if (count) std::memcpy(ab.Data(), scratch_.data(), count * sizeof(T));
    return Napi::TypedArrayOf<T>::New(env, count, ab, 0);
  }

  // readBuffer(handle): the payload's bytes, whatever its type, as a new Buffer.
  Napi::Value ReadBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t flags = 0;
    int64_t n = ReadToScratch(HandleOf(info), 0, &flags);
    if (n < 0) return Throw(env);
    Napi::Value out = Napi::Buffer<char>::Copy(env, scratch_.data(), static_cast<size_t>(n));
    scratch_.Trim();
    return out;
  }

  // readInto(handle, view, typeBit) -> bytes copied. The engine copies straight into the view; a
  // payload larger than the view is a RangeError and nothing is copied.
  Napi::Value ReadInto(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    void* data = nullptr;
    size_t bytes = 0, element = 1;
    if (!ViewBytes(env, info[1], &data, &bytes, &element)) {
      Napi::TypeError::New(env, "target must be an ArrayBufferView").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    uint32_t bit = 0, flags = 0;
    napi_get_value_uint32(env, info[2], &bit);
    int64_t n = StreamRead(HandleOf(info), bit, data, bytes, &flags);
    if (n < 0) return Throw(info.Env());
    if (static_cast<uint64_t>(n) > bytes) {
      std::string msg = "target is too small: the payload is " + std::to_string(n) +
                        " bytes and the target holds " + std::to_string(bytes);
      Napi::Error e = Napi::RangeError::New(env, msg);
      e.Set("code", Napi::String::New(env, "ERR_SHM_TOO_LARGE"));
      e.ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // query(handle, what) -> number (see LSM_QUERY_* in goshm.h)
  Napi::Value Query(const Napi::CallbackInfo& info) {
    int32_t q = 0;
    napi_get_value_int32(info.Env(), info[1], &q);
    int64_t v = lsm_stream_query(HandleOf(info), q, &err_);
    if (v < 0) return Throw(info.Env());
    return Napi::Number::New(info.Env(), static_cast<double>(v));
  }

  // watchStart(handle, field, pollMs, callback) -> token. callback() runs on this thread after
  // the watched word changed (calls coalesce); it reads the state itself.
  Napi::Value WatchStart(const Napi::CallbackInfo& info) {
    uint32_t h = HandleOf(info);
    int32_t field = info[1].As<Napi::Number>().Int32Value();
    uint32_t poll = info[2].As<Napi::Number>().Uint32Value();
    return StartWatch(info.Env(), info[3], [&](Watch* w) {
      return lsm_watch_start(h, field, poll, OnChange, w, &w->id, &err_);
    });
  }

  // queueWatchStart(handle, pollMs, callback) -> token: as watchStart, on the queue's count.
  Napi::Value QueueWatchStart(const Napi::CallbackInfo& info) {
    uint32_t h = HandleOf(info);
    uint32_t poll = info[1].As<Napi::Number>().Uint32Value();
    return StartWatch(info.Env(), info[2], [&](Watch* w) {
      return lsm_queue_watch_start(h, poll, OnChange, w, &w->id, &err_);
    });
  }

  // Creates the thread-safe function, then the engine watcher that calls it.
  template <typename Start>
  Napi::Value StartWatch(Napi::Env env, napi_value callback, Start start) {
    auto* w = new Watch();
    napi_value name = Napi::String::New(env, "node-libsharedmemory watch");
    if (napi_create_threadsafe_function(env, callback, nullptr, name, 0, 1, w, FinalizeWatch, w, CallJs,
                                        &w->tsfn) != napi_ok) {
      delete w;
      Napi::Error::New(env, "could not create a thread-safe function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (start(w) < 0) {
      napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);  // FinalizeWatch frees w
      return Throw(env);
    }
    uint32_t token = next_token_++;
    watches_[token] = w;
    return Napi::Number::New(env, token);
  }

  // watchStop(token): no callback runs after this returns.
  Napi::Value WatchStop(const Napi::CallbackInfo& info) {
    uint32_t token = info[0].As<Napi::Number>().Uint32Value();
    auto it = watches_.find(token);
    if (it != watches_.end()) {
      Watch* w = it->second;
      watches_.erase(it);
      lsm_watch_stop(w->id, &err_);
      napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    }
    return info.Env().Undefined();
  }

  // watchRef(token, keepAlive): whether the watch keeps the event loop alive.
  Napi::Value WatchRef(const Napi::CallbackInfo& info) {
    uint32_t token = info[0].As<Napi::Number>().Uint32Value();
    auto it = watches_.find(token);
    if (it != watches_.end()) {
      if (info[1].ToBoolean().Value()) {
        napi_ref_threadsafe_function(info.Env(), it->second->tsfn);
      } else {
        napi_unref_threadsafe_function(info.Env(), it->second->tsfn);
      }
    }
    return info.Env().Undefined();
  }

  // segmentOpen(name, size, flags, mode) -> [handle, bytes mapped]
  Napi::Value SegmentOpen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    uint64_t size = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
    uint32_t flags = info[2].As<Napi::Number>().Uint32Value();
    uint32_t mode = info[3].As<Napi::Number>().Uint32Value();
    uint32_t h = 0;
    void* base = nullptr;
    uint64_t mapped = 0;
    if (lsm_segment_open(const_cast<char*>(name.data()), name.size(), size, flags, mode, &h, &base, &mapped,
                         &err_) < 0) {
      return Throw(env);
    }
    segments_[h] = Mapping{base, static_cast<size_t>(mapped)};
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, h));
    out.Set(1u, Napi::Number::New(env, static_cast<double>(mapped)));
    return out;
  }

  static void ReleaseMapping(napi_env, void*, void* hint) {
    lsm_error err;
    lsm_segment_release(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(hint)), &err);
  }

  // segmentBuffer(handle) -> ArrayBuffer over the mapping (no copy). The buffer holds its own
  // reference to the mapping, dropped by its finalizer, so the memory outlives every view of it.
  Napi::Value SegmentBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t h = HandleOf(info);
    auto it = segments_.find(h);
    if (it == segments_.end()) {
      Napi::Error::New(env, "shared memory segment is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (lsm_segment_retain(h, &err_) < 0) return Throw(env);
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(env, it->second.base, it->second.size, ReleaseMapping,
                                                      reinterpret_cast<void*>(static_cast<uintptr_t>(h)), &ab);
    if (st != napi_ok) {
      lsm_segment_release(h, &err_);
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {  // clear what N-API left so our own error is the one thrown
        napi_value ignored;
        napi_get_and_clear_last_exception(env, &ignored);
      }
      Napi::Error e = Napi::Error::New(env,
          "this Node.js runtime does not allow external ArrayBuffers; use read() and write() instead");
      e.Set("code", Napi::String::New(env, "ERR_SHM_NO_EXTERNAL_BUFFERS"));
      e.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Value(env, ab);
  }

  // segmentClose(handle, buffer|undefined): detaches the buffer handed out, so JavaScript can no
  // longer reach the memory through it or any view on it, then drops this object's reference.
  Napi::Value SegmentClose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t h = HandleOf(info);
    if (info[1].IsArrayBuffer()) napi_detach_arraybuffer(env, info[1]);
    if (segments_.erase(h) == 0) return env.Undefined();
    if (lsm_segment_release(h, &err_) < 0) return Throw(env);
    return env.Undefined();
  }

  // segmentRead(handle, offset, length) -> Buffer (a copy)
  Napi::Value SegmentRead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t offset = info[1].As<Napi::Number>().Int64Value();
    size_t length = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
    Napi::Buffer<char> out = Napi::Buffer<char>::New(env, length);
    if (lsm_segment_read(HandleOf(info), static_cast<uint64_t>(offset), out.Data(), length, &err_) < 0) {
      return Throw(env);
    }
    return out;
  }

  // segmentWrite(handle, offset, view)
  Napi::Value SegmentWrite(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    int64_t offset = info[1].As<Napi::Number>().Int64Value();
    void* data = nullptr;
    size_t bytes = 0, element = 1;
    if (!ViewBytes(env, info[2], &data, &bytes, &element)) {
      Napi::TypeError::New(env, "data must be an ArrayBufferView").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (lsm_segment_write(HandleOf(info), static_cast<uint64_t>(offset), data, bytes, &err_) < 0) {
      return Throw(info.Env());
    }
    return info.Env().Undefined();
  }

  // queueOpen(name, capacity, maxMessageSize, flags, layout, mode, lockTimeoutMs)
  //   -> [handle, capacity, maxMessageSize, bytes mapped]
  Napi::Value QueueOpen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    uint32_t capacity = info[1].As<Napi::Number>().Uint32Value();
    uint32_t max_message = info[2].As<Napi::Number>().Uint32Value();
    uint32_t flags = info[3].As<Napi::Number>().Uint32Value();
    int32_t layout = info[4].As<Napi::Number>().Int32Value();
    uint32_t mode = info[5].As<Napi::Number>().Uint32Value();
    uint32_t timeout = info[6].As<Napi::Number>().Uint32Value();
    uint32_t h = 0;
    lsm_queue_info qi;
    if (lsm_queue_open(const_cast<char*>(name.data()), name.size(), capacity, max_message, flags, layout, mode,
                       timeout, &h, &qi, &err_) < 0) {
      return Throw(env);
    }
    queues_.insert(h);
    Napi::Array out = Napi::Array::New(env, 4);
    out.Set(0u, Napi::Number::New(env, h));
    out.Set(1u, Napi::Number::New(env, qi.capacity));
    out.Set(2u, Napi::Number::New(env, qi.max_message_size));
    out.Set(3u, Napi::Number::New(env, static_cast<double>(qi.size)));
    return out;
  }

  Napi::Value QueueClose(const Napi::CallbackInfo& info) {
    uint32_t h = HandleOf(info);
    queues_.erase(h);
    if (lsm_queue_close(h, &err_) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  // queueEnqueue(handle, string | ArrayBufferView) -> true, or false when the queue is full.
  Napi::Value QueueEnqueue(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    void* data = nullptr;
    size_t bytes = 0, element = 1;
    napi_valuetype type;
    napi_typeof(env, info[1], &type);
    if (type == napi_string) {
      StringToScratch(env, info[1], &bytes);
      data = scratch_.data();
    } else if (!ViewBytes(env, info[1], &data, &bytes, &element)) {
      Napi::TypeError::New(env, "value must be a string or an ArrayBufferView").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    int32_t rc = lsm_queue_enqueue(HandleOf(info), data, bytes, &err_);
    scratch_.Trim();
    if (rc < 0) return Throw(info.Env());
    return Napi::Boolean::New(env, rc == 1);
  }

  // queueTake(handle, peek, asString) -> string | Buffer, or undefined when the queue is empty.
  Napi::Value QueueTake(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t h = HandleOf(info);
    int32_t peek = info[1].ToBoolean().Value() ? 1 : 0;
    bool as_string = info[2].ToBoolean().Value();
    int64_t n;
    for (;;) {
      n = lsm_queue_take(h, scratch_.data(), scratch_.size(), peek, &err_);
      if (n == LSM_QUEUE_EMPTY) return env.Undefined();
      if (n < 0) return Throw(env);
      if (static_cast<uint64_t>(n) <= scratch_.size()) break;
      scratch_.Reserve(static_cast<size_t>(n));  // not taken yet: grow and take it again
    }
    Napi::Value out = as_string ? Napi::Value(Napi::String::New(env, scratch_.data(), static_cast<size_t>(n)))
                                : Napi::Value(Napi::Buffer<char>::Copy(env, scratch_.data(), static_cast<size_t>(n)));
    scratch_.Trim();
    return out;
  }

  Napi::Value QueueLen(const Napi::CallbackInfo& info) {
    int64_t n = lsm_queue_len(HandleOf(info), &err_);
    if (n < 0) return Throw(info.Env());
    return Napi::Number::New(info.Env(), static_cast<double>(n));
  }

  Napi::Value Unlink(const Napi::CallbackInfo& info) {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    if (lsm_unlink(const_cast<char*>(name.data()), name.size(), &err_) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  Scratch scratch_;
  std::unordered_set<uint32_t> open_;
  std::vector<FastSlot> fast_;
  // Watches still running, by token. Their thread-safe functions are finalized before this
  // instance when the environment is torn down, so the destructor leaves them alone.
  std::unordered_map<uint32_t, Watch*> watches_;
  // Raw segments this environment holds a reference to (the JavaScript object's), by handle.
  struct Mapping {
    void* base;
    size_t size;
  };
  std::unordered_map<uint32_t, Mapping> segments_;
  std::unordered_set<uint32_t> queues_;
  uint32_t next_token_ = 1;
  lsm_error err_;
};

}  // namespace

NODE_API_ADDON(Addon)
