// addon.cc: the N-API glue of node-libsharedmemory. It converts JavaScript values, calls the C ABI
// of the Go engine (goshm/cabi/goshm.h) once per operation, and turns engine errors into JavaScript
// errors. Argument checking lives in lib/ (JavaScript); here only cheap type guards remain.
#include <napi.h>

#include <cstring>
#include <unordered_set>
#include <vector>

#include "goshm.h"

namespace {

// Type bits of the flags byte (SPEC §2.1); the engine stores whichever it is given.
constexpr uint32_t kTypeString = 2;
constexpr uint32_t kTypeFloat = 4;
constexpr uint32_t kTypeDouble = 8;

// Payloads up to this size are read through the per-environment scratch buffer; larger typed
// arrays are read straight into their own ArrayBuffer to save a copy.
constexpr size_t kScratchBytes = 64 * 1024;

// Engine error kinds that are RangeErrors in JavaScript (goshm.KindArg, goshm.KindTooLarge).
constexpr int32_t kKindArg = 2;
constexpr int32_t kKindTooLarge = 3;
constexpr int32_t kKindOS = 1;

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
    });
  }

  ~Addon() {
    lsm_error err;
    for (uint32_t h : open_) lsm_stream_close(h, &err);
  }

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
    if (lsm_stream_open(const_cast<char*>(name.data()), name.size(), size, flags, layout, mode,
                        timeout, &h, &err_) < 0) {
      return Throw(env);
    }
    open_.insert(h);
    return Napi::Number::New(env, h);
  }

  Napi::Value StreamClose(const Napi::CallbackInfo& info) {
    uint32_t h = HandleOf(info);
    open_.erase(h);
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

  // writeString(handle, string): UTF-8 into the scratch buffer, then one engine call. A string
  // whose UTF-8 form may not have fitted (V8 stops before a character that would not fit, so up
  // to 3 bytes short) is measured and copied again into a grown buffer.
  Napi::Value WriteString(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    napi_value str = info[1];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, str, scratch_.data(), scratch_.size(), &len) != napi_ok) {
      Napi::TypeError::New(env, "value must be a string").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (len + 4 >= scratch_.size()) {
      napi_get_value_string_utf8(env, str, nullptr, 0, &len);
      scratch_.resize(len + 1);
      napi_get_value_string_utf8(env, str, scratch_.data(), scratch_.size(), &len);
    }
    if (lsm_stream_write(HandleOf(info), kTypeString, scratch_.data(), len, &err_) < 0) {
      return Throw(info.Env());
    }
    return info.Env().Undefined();
  }

  // writeView(handle, typedArray, typeBit): the engine copies straight from the array's memory.
  Napi::Value WriteView(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok) {
      Napi::TypeError::New(env, "value must be a typed array").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    uint32_t bit = 0;
    napi_get_value_uint32(env, info[2], &bit);
    size_t bytes = length * (bit == kTypeDouble ? 8 : bit == kTypeFloat ? 4 : 1);
    if (lsm_stream_write(HandleOf(info), bit, data, bytes, &err_) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  // Reads the payload into the scratch buffer, growing it until the payload fits. Returns the
  // payload size, or -1 with err_ set.
  int64_t ReadToScratch(uint32_t h, uint32_t type, uint32_t* flags) {
    for (;;) {
      int64_t n = lsm_stream_read(h, type, scratch_.data(), scratch_.size(), flags, &err_);
      if (n < 0 || static_cast<uint64_t>(n) <= scratch_.size()) return n;
      scratch_.resize(static_cast<size_t>(n));
    }
  }

  Napi::Value ReadString(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t flags = 0;
    int64_t n = ReadToScratch(HandleOf(info), kTypeString, &flags);
    if (n < 0) return Throw(env);
    napi_value out;
    napi_create_string_utf8(env, scratch_.data(), static_cast<size_t>(n), &out);
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
    int64_t n = lsm_stream_read(h, type, scratch_.data(), kScratchBytes, &flags, &err_);
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
      int64_t got = lsm_stream_read(h, type, ab.Data(), bytes, &flags, &err_);
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
    int32_t f = lsm_stream_flags(HandleOf(info), &err_);
    if (f < 0) return Throw(info.Env());
    return Napi::Number::New(info.Env(), f);
  }

  Napi::Value Unlink(const Napi::CallbackInfo& info) {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    if (lsm_unlink(const_cast<char*>(name.data()), name.size(), &err_) < 0) return Throw(info.Env());
    return info.Env().Undefined();
  }

  std::vector<char> scratch_;
  std::unordered_set<uint32_t> open_;
  lsm_error err_;
};

}  // namespace

NODE_API_ADDON(Addon)
