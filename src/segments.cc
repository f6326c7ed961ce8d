// Raw segments: the JavaScript functions of SharedMemory (lib/segment.js). `.buffer` is an
// external ArrayBuffer over the mapping, holding its own reference to it.
#include <cstring>
#include <new>
#include <string>

#include "state.h"
#include "values.h"

namespace lsm {

namespace {

// segmentOpen(name, size, flags, mode) -> [handle, bytes mapped]. With LSM_OPEN_UNLINK
// (persistent: false), the name is removed by close() in JavaScript, or by ReleaseAll if this
// environment ends first; never by the engine, which would remove it with the last reference, that
// is, when the last `.buffer` is collected, long after close() and perhaps from a newer segment of
// the same name.
napi_value Open(const Call& info, State& state) {
  napi_env env = info.Env();
  std::string name;
  StringArg(env, info[0], &name);  // not a string: "", which the engine refuses as a name
  uint64_t size = U64Arg(env, info[1]);
  uint32_t flags = U32Arg(env, info[2]);
  uint32_t mode = U32Arg(env, info[3]);
  lsm_handle h = 0;
  void* base = nullptr;
  uint64_t mapped = 0;
  if (lsm_segment_open(const_cast<char*>(name.data()), name.size(), size, flags & ~LSM_OPEN_UNLINK, mode, &h, &base,
                       &mapped, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  // The result cannot be made only while the environment is being torn down: the reference is
  // dropped again then, so the failed call leaves nothing open.
  napi_value out = Numbers(env, {static_cast<double>(h), static_cast<double>(mapped)});
  if (out == nullptr) {
    lsm_segment_release(h, &state.err);
    if (flags & LSM_OPEN_UNLINK) lsm_unlink(const_cast<char*>(name.data()), name.size(), &state.err);
    return nullptr;
  }
  state.segments.Add(h, SegmentRoom::Mapping{base, static_cast<size_t>(mapped),
                                             (flags & LSM_OPEN_UNLINK) ? name : std::string()});
  return out;
}

// The finalizer of a `.buffer`: drops the reference it held (hint: the handle, on the heap, as a
// handle may not fit a pointer).
void ReleaseMapping(napi_env, void*, void* hint) {
  auto* h = static_cast<lsm_handle*>(hint);
  lsm_error err;
  lsm_segment_release(*h, &err);
  delete h;
}

// segmentBuffer(handle) -> ArrayBuffer over the mapping (no copy). The buffer holds its own
// reference to the mapping, dropped by its finalizer, so the memory outlives every view of it.
napi_value Buffer(const Call& info, State& state) {
  napi_env env = info.Env();
  lsm_handle h = HandleArg(info);
  const SegmentRoom::Mapping* m = state.segments.Find(h);
  if (m == nullptr) {
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_CLOSED", "shared memory segment is closed");
  }
  auto* hint = new (std::nothrow) lsm_handle(h);
  if (hint == nullptr) return state.Throw(env, ErrorClass::kError, "ENOMEM", "not enough memory for a buffer");
  if (lsm_segment_retain(h, &state.err) < 0) {
    delete hint;
    return state.ThrowEngine(env);
  }
  napi_value ab;
  if (napi_create_external_arraybuffer(env, m->base, m->size, ReleaseMapping, hint, &ab) != napi_ok) {
    lsm_segment_release(h, &state.err);
    delete hint;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {  // clear what N-API left so our own error is the one thrown
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_NO_EXTERNAL_BUFFERS",
                       "this Node.js runtime does not allow external ArrayBuffers; use read() and write() instead");
  }
  return ab;
}

// segmentClose(handle, buffer|undefined): detaches the buffer handed out, so JavaScript can no
// longer reach the memory through it or any view on it, then drops this object's reference and
// removes a non-persistent segment's name (one already gone is fine).
napi_value Close(const Call& info, State& state) {
  napi_env env = info.Env();
  lsm_handle h = HandleArg(info);
  bool is_buffer = false;
  if (napi_is_arraybuffer(env, info[1], &is_buffer) == napi_ok && is_buffer) {
    // Fails only for a buffer that cannot be detached, which ours always can; the memory stays
    // valid either way, as the buffer holds its own reference to the mapping.
    napi_detach_arraybuffer(env, info[1]);
  }
  std::string unlink;
  if (!state.segments.Drop(h, &unlink)) return nullptr;
  // The name goes even if the release failed (the handle is forgotten either way); the first
  // error is the one reported.
  bool failed = lsm_segment_release(h, &state.err) < 0;
  lsm_error unlink_err;
  if (!unlink.empty() && lsm_unlink(const_cast<char*>(unlink.data()), unlink.size(), &unlink_err) < 0 &&
      !(unlink_err.kind == LSM_KIND_OS && std::strcmp(unlink_err.code, "ENOENT") == 0) && !failed) {
    state.err = unlink_err;
    failed = true;
  }
  return failed ? state.ThrowEngine(env) : nullptr;
}

// segmentRead(handle, offset, length) -> Buffer (a copy)
napi_value Read(const Call& info, State& state) {
  napi_env env = info.Env();
  uint64_t offset = U64Arg(env, info[1]);
  size_t length = static_cast<size_t>(U64Arg(env, info[2]));
  void* data = nullptr;
  bool no_memory = false;  // either way the Buffer was not made for want of memory
  napi_value out = NewBufferFor(env, length, &data, &no_memory);
  if (out == nullptr) {
    return state.Throw(env, ErrorClass::kError, "ENOMEM",
                       "not enough memory for a Buffer of " + std::to_string(length) + " bytes");
  }
  if (lsm_segment_read(HandleArg(info), offset, data, length, &state.err) < 0) return state.ThrowEngine(env);
  return out;
}

// segmentWrite(handle, offset, view)
napi_value Write(const Call& info, State& state) {
  napi_env env = info.Env();
  uint64_t offset = U64Arg(env, info[1]);
  void* data = nullptr;
  size_t bytes = 0;
  if (!ViewArg(info, state, 2, "data", &data, &bytes)) return nullptr;
  if (lsm_segment_write(HandleArg(info), offset, data, bytes, &state.err) < 0) return state.ThrowEngine(env);
  return nullptr;
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
