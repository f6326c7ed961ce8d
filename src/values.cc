// Value conversions (values.h).
#include "values.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "state.h"

namespace lsm {

namespace {

void ClearPending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

// Whether n bytes can be had right now. V8 ends the process when it cannot allocate the memory of
// a Buffer or ArrayBuffer ("Allocation failed" is fatal), so a large value is first asked of malloc,
// which reports a failure: under a memory limit, a huge value is ENOMEM for the caller, not a
// crash. The memory is given back at once and V8 allocates its own, so that the value is an
// ordinary one that the garbage collector frees as soon as it is dropped (memory handed over as an
// external buffer is freed only by a finalizer Node defers to a later turn of the event loop, so a
// loop of large reads would pile it up until the process is killed). Small values are not asked:
// the probe would cost more than the copy, and V8 itself would be out of memory anyway.
// The pointer is volatile: a malloc whose memory is freed unused may be left out by the compiler
// (clang does, at -O2: the prebuilds, and Apple's toolchain), which made the probe always succeed.
bool CanAllocate(size_t n) {
  constexpr size_t kProbeFrom = 8 * 1024 * 1024;
  if (n < kProbeFrom) return true;
  void* volatile probe = std::malloc(n);
  if (probe == nullptr) return false;
  std::free(probe);
  return true;
}

}  // namespace

uint32_t U32Arg(napi_env env, napi_value v, uint32_t fallback) {
  uint32_t out;
  return napi_get_value_uint32(env, v, &out) == napi_ok ? out : fallback;
}

int32_t I32Arg(napi_env env, napi_value v, int32_t fallback) {
  int32_t out;
  return napi_get_value_int32(env, v, &out) == napi_ok ? out : fallback;
}

uint64_t U64Arg(napi_env env, napi_value v) {
  int64_t out;
  return napi_get_value_int64(env, v, &out) == napi_ok && out > 0 ? static_cast<uint64_t>(out) : 0;
}

bool BoolArg(napi_env env, napi_value v) {
  bool out = false;
  return napi_get_value_bool(env, v, &out) == napi_ok && out;
}

uint32_t* U32CellArg(napi_env env, napi_value v, size_t length) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t have = 0;
  void* data = nullptr;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &have, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array || have < length) {
    return nullptr;
  }
  return static_cast<uint32_t*>(data);
}

bool StringArg(napi_env env, napi_value v, std::string* out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len + 1);  // room for the terminating NUL napi writes
  if (napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len) != napi_ok) return false;
  out->resize(len);
  return true;
}

napi_value Undefined(napi_env env) {
  napi_value out = nullptr;
  napi_get_undefined(env, &out);  // cannot fail for a live env; nullptr is undefined to N-API anyway
  return out;
}

napi_value Number(napi_env env, double v) {
  napi_value out;
  // Most results are small whole numbers (flags, sizes, handles): as an int32, V8 makes them a
  // small integer in place, where a double goes through its number-from-double path (a tenth of
  // a readFlags() call, measured with perf). -0 stays a double.
  if (v >= -2147483648.0 && v <= 2147483647.0 && static_cast<double>(static_cast<int32_t>(v)) == v &&
      !(v == 0 && std::signbit(v))) {
    return napi_create_int32(env, static_cast<int32_t>(v), &out) == napi_ok ? out : nullptr;
  }
  return napi_create_double(env, v, &out) == napi_ok ? out : nullptr;
}

napi_value Boolean(napi_env env, bool v) {
  napi_value out;
  return napi_get_boolean(env, v, &out) == napi_ok ? out : nullptr;
}

napi_value Numbers(napi_env env, std::initializer_list<double> values) {
  napi_value array;
  if (napi_create_array_with_length(env, values.size(), &array) != napi_ok) return nullptr;
  uint32_t i = 0;
  for (double v : values) {
    napi_value n = Number(env, v);
    // Setting an element may run JavaScript (a setter on Array.prototype), so it fails once the
    // environment is terminating.
    if (n == nullptr || napi_set_element(env, array, i++, n) != napi_ok) return nullptr;
  }
  return array;
}

bool ViewBytes(napi_env env, napi_value view, void** data, size_t* bytes) {
  bool is_view = false;
  if (napi_is_typedarray(env, view, &is_view) != napi_ok) return false;
  if (!is_view && (napi_is_dataview(env, view, &is_view) != napi_ok || !is_view)) return false;
  // Node's Buffer look takes any ArrayBufferView, its data and length in bytes, in one step, where
  // napi_get_typedarray_info tests the view against each typed array kind in turn (a quarter of a
  // 64 B write, measured with perf). It must only ever see a view, which the checks above ensure.
  return napi_get_buffer_info(env, view, data, bytes) == napi_ok;
}

bool ViewArg(const Call& info, State& state, size_t i, const char* argument, void** data,
             size_t* bytes) {
  if (ViewBytes(info.Env(), info[i], data, bytes)) return true;
  state.Throw(info.Env(), ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE",
              std::string(argument) + " must be an ArrayBufferView");
  return false;
}

// The first try assumes the string fits; V8 stops before a character that would not fit (so up to
// 3 bytes short), and a string that may not have fitted is copied again into a buffer sized for it:
// 3 bytes per UTF-16 unit at most.
bool StringToScratch(napi_env env, napi_value value, Scratch& scratch, size_t* len) {
  if (napi_get_value_string_utf8(env, value, scratch.data(), scratch.size(), len) != napi_ok) return false;
  if (*len + 4 < scratch.size()) return true;
  size_t units = 0;
  if (napi_get_value_string_utf16(env, value, nullptr, 0, &units) != napi_ok) return false;
  size_t need = units * 3 + 1;
  if (need > Scratch::kKeep) {  // measure exactly rather than triple a huge buffer
    if (napi_get_value_string_utf8(env, value, nullptr, 0, len) != napi_ok) return false;
    need = *len + 1;
  }
  if (!scratch.Reserve(need)) return false;
  return napi_get_value_string_utf8(env, value, scratch.data(), scratch.size(), len) == napi_ok;
}

namespace {

// Whether n bytes are all ASCII, 64 at a time: OR them together and look at the high bits once per
// block. Vector types of the compiler (SSE2 on x86-64, NEON on arm64), no intrinsics.
bool IsAscii(const char* data, size_t n) {
  typedef uint8_t Block __attribute__((vector_size(16)));
  const char* p = data;
  const char* end = data + n;
  while (end - p >= 64) {
    Block a, b, c, d;
    std::memcpy(&a, p, 16);
    std::memcpy(&b, p + 16, 16);
    std::memcpy(&c, p + 32, 16);
    std::memcpy(&d, p + 48, 16);
    Block any = (a | b | c | d) & 0x80;
    uint64_t lo, hi;
    std::memcpy(&lo, &any, 8);
    std::memcpy(&hi, reinterpret_cast<char*>(&any) + 8, 8);
    if ((lo | hi) != 0) return false;
    p += 64;
  }
  uint8_t rest = 0;
  for (; p < end; p++) rest |= static_cast<uint8_t>(*p);
  return (rest & 0x80) == 0;
}

}  // namespace

// ASCII text (most payloads) is made as Latin-1, which V8 copies as it is, where its UTF-8 decoder
// validates and decodes every byte: the same string, in a fraction of the time (readString of
// 64 KiB: several times faster, measured with the benchmark's readString cases).
napi_value NewString(napi_env env, const char* data, size_t n) {
  napi_value out;
  napi_status status = IsAscii(data, n) ? napi_create_string_latin1(env, data, n, &out)
                                        : napi_create_string_utf8(env, data, n, &out);
  if (status != napi_ok) {
    ClearPending(env);
    return nullptr;
  }
  return out;
}

napi_value NewBuffer(napi_env env, const char* data, size_t n) {
  napi_value out;
  if (napi_create_buffer_copy(env, n, data, nullptr, &out) != napi_ok) {
    ClearPending(env);
    return nullptr;
  }
  return out;
}

napi_value NewBufferFor(napi_env env, size_t n, void** data, bool* no_memory) {
  *no_memory = !CanAllocate(n);
  napi_value out;
  if (*no_memory || napi_create_buffer(env, n, data, &out) != napi_ok) {
    ClearPending(env);
    return nullptr;
  }
  return out;
}

napi_value NewTypedArray(napi_env env, napi_typedarray_type type, size_t element, const char* data,
                         size_t bytes) {
  size_t count = bytes / element;
  void* memory = nullptr;
  napi_value ab, out;
  // A copy holds the whole elements only.
  if (napi_create_arraybuffer(env, count * element, &memory, &ab) != napi_ok ||
      napi_create_typedarray(env, type, count, ab, 0, &out) != napi_ok) {
    ClearPending(env);
    return nullptr;
  }
  if (count != 0) std::memcpy(memory, data, count * element);
  return out;
}

napi_value NewTypedArrayFor(napi_env env, napi_typedarray_type type, size_t element, size_t bytes, void** data,
                            bool* no_memory) {
  *no_memory = !CanAllocate(bytes);
  napi_value ab, out;
  // The buffer holds all the bytes, since the engine copies a payload only into room for all of it.
  if (*no_memory || napi_create_arraybuffer(env, bytes, data, &ab) != napi_ok ||
      napi_create_typedarray(env, type, bytes / element, ab, 0, &out) != napi_ok) {
    ClearPending(env);
    return nullptr;
  }
  return out;
}

}  // namespace lsm
