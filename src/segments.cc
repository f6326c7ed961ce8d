// Raw segments: the JavaScript functions of SharedMemory (lib/segment.js). `.buffer` is an
// external ArrayBuffer over the mapping, holding its own reference to it.
#include <string>

#include "state.h"
#include "values.h"

namespace lsm {

namespace {

// segmentOpen(name, size, flags, mode) -> [handle, bytes mapped]
Napi::Value Open(const Napi::CallbackInfo& info, State& state) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint64_t size = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  uint32_t flags = info[2].As<Napi::Number>().Uint32Value();
  uint32_t mode = info[3].As<Napi::Number>().Uint32Value();
  uint32_t h = 0;
  void* base = nullptr;
  uint64_t mapped = 0;
  if (lsm_segment_open(const_cast<char*>(name.data()), name.size(), size, flags, mode, &h, &base, &mapped,
                       &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  state.segments.Add(h, SegmentRoom::Mapping{base, static_cast<size_t>(mapped)});
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, h));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(mapped)));
  return out;
}

void ReleaseMapping(napi_env, void*, void* hint) {
  lsm_error err;
  lsm_segment_release(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(hint)), &err);
}

// segmentBuffer(handle) -> ArrayBuffer over the mapping (no copy). The buffer holds its own
// reference to the mapping, dropped by its finalizer, so the memory outlives every view of it.
Napi::Value Buffer(const Napi::CallbackInfo& info, State& state) {
  Napi::Env env = info.Env();
  uint32_t h = HandleArg(info);
  const SegmentRoom::Mapping* m = state.segments.Find(h);
  if (m == nullptr) {
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_CLOSED", "shared memory segment is closed");
  }
  if (lsm_segment_retain(h, &state.err) < 0) return state.ThrowEngine(env);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, m->base, m->size, ReleaseMapping,
                                       reinterpret_cast<void*>(static_cast<uintptr_t>(h)), &ab) != napi_ok) {
    lsm_segment_release(h, &state.err);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {  // clear what N-API left so our own error is the one thrown
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_NO_EXTERNAL_BUFFERS",
                       "this Node.js runtime does not allow external ArrayBuffers; use read() and write() instead");
  }
  return Napi::Value(env, ab);
}

// segmentClose(handle, buffer|undefined): detaches the buffer handed out, so JavaScript can no
// longer reach the memory through it or any view on it, then drops this object's reference.
Napi::Value Close(const Napi::CallbackInfo& info, State& state) {
  Napi::Env env = info.Env();
  uint32_t h = HandleArg(info);
  if (info[1].IsArrayBuffer()) napi_detach_arraybuffer(env, info[1]);
  if (!state.segments.Drop(h)) return env.Undefined();
  if (lsm_segment_release(h, &state.err) < 0) return state.ThrowEngine(env);
  return env.Undefined();
}

// segmentRead(handle, offset, length) -> Buffer (a copy)
Napi::Value Read(const Napi::CallbackInfo& info, State& state) {
  napi_env env = info.Env();
  uint64_t offset = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  size_t length = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  void* data = nullptr;
  napi_value out;
  if (napi_create_buffer(env, length, &data, &out) != napi_ok) {
    return state.Throw(env, ErrorClass::kError, "ENOMEM",
                       "not enough memory for a Buffer of " + std::to_string(length) + " bytes");
  }
  if (lsm_segment_read(HandleArg(info), offset, data, length, &state.err) < 0) return state.ThrowEngine(env);
  return Napi::Value(env, out);
}

// segmentWrite(handle, offset, view)
Napi::Value Write(const Napi::CallbackInfo& info, State& state) {
  napi_env env = info.Env();
  uint64_t offset = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  void* data = nullptr;
  size_t bytes = 0;
  if (!ViewArg(info, state, 2, "data", &data, &bytes)) return info.Env().Undefined();
  if (lsm_segment_write(HandleArg(info), offset, data, bytes, &state.err) < 0) return state.ThrowEngine(env);
  return info.Env().Undefined();
}

}  // namespace

void RegisterSegments(Methods& methods) {
  methods.Add({
      {"segmentOpen", Bind<Open>},
      {"segmentBuffer", Bind<Buffer>},
      {"segmentClose", Bind<Close>},
      {"segmentRead", Bind<Read>},
      {"segmentWrite", Bind<Write>},
  });
}

}  // namespace lsm
