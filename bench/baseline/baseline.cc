// The benchmark's floor: the least work each stream operation needs, in a plain N-API addon, so
// that node-libsharedmemory is measured against what any addon must pay (the JS -> C++ call, the
// copy in or out, making the JavaScript value), not only against Buffer.copy. It maps a segment of
// the same kind (shm_open, the same size) and keeps the v2 places of flags (0), size (12) and
// payload (20), but takes no lock, moves no revision, checks nothing a caller could get wrong and
// has no fault guard: no module a user should run does this little. Linux only (the benchmark's
// machine); never shipped (bench/ is not in the package).
#include <node_api.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kSize = 12;
constexpr size_t kData = 20;

struct Mapping {
  uint8_t* base = nullptr;
  size_t size = 0;
};
std::vector<Mapping> mappings;  // by handle - 1; the benchmark runs on one thread

napi_value Throw(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

napi_value U32(napi_env env, uint32_t v) {
  napi_value out;
  napi_create_uint32(env, v, &out);
  return out;
}

// Arguments: at most 2, read without checks beyond what keeps the process alive.
struct Args {
  napi_value v[2];
  Mapping* m = nullptr;
};
bool GetArgs(napi_env env, napi_callback_info info, Args* a) {
  size_t argc = 2;
  napi_get_cb_info(env, info, &argc, a->v, nullptr, nullptr);
  uint32_t h = 0;
  if (napi_get_value_uint32(env, a->v[0], &h) != napi_ok || h == 0 || h > mappings.size() ||
      mappings[h - 1].base == nullptr) {
    Throw(env, "baseline: bad handle");
    return false;
  }
  a->m = &mappings[h - 1];
  return true;
}

void Publish(Mapping* m, uint32_t size, uint8_t type) {
  std::memcpy(m->base + kSize, &size, 4);
  m->base[0] = static_cast<uint8_t>(((m->base[0] & 1) ^ 1) | type);
}

// open(name, size) -> handle: creates the segment (or opens it) and maps it.
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[256];
  size_t len = 0;
  uint32_t size = 0;
  if (napi_get_value_string_utf8(env, argv[0], name + 1, sizeof name - 1, &len) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &size) != napi_ok || size <= kData) {
    return Throw(env, "baseline: open(name, size)");
  }
  name[0] = '/';
  int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
  if (fd < 0) return Throw(env, "baseline: shm_open failed");
  void* p = MAP_FAILED;
  if (ftruncate(fd, size) == 0) p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Throw(env, "baseline: ftruncate or mmap failed");
  mappings.push_back({static_cast<uint8_t*>(p), size});
  return U32(env, static_cast<uint32_t>(mappings.size()));
}

// close(handle, name): unmaps and removes the segment.
napi_value Close(napi_env env, napi_callback_info info) {
  Args a;
  if (!GetArgs(env, info, &a)) return nullptr;
  munmap(a.m->base, a.m->size);
  a.m->base = nullptr;
  char name[256];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a.v[1], name + 1, sizeof name - 1, &len) == napi_ok) {
    name[0] = '/';
    shm_unlink(name);
  }
  return nullptr;
}

// writeString(handle, string): UTF-8 straight into the segment (one pass, no staging copy).
napi_value WriteString(napi_env env, napi_callback_info info) {
  Args a;
  if (!GetArgs(env, info, &a)) return nullptr;
  size_t len = 0;
  // napi writes a terminating NUL too: the capacity counts it.
  if (napi_get_value_string_utf8(env, a.v[1], reinterpret_cast<char*>(a.m->base + kData), a.m->size - kData, &len) !=
      napi_ok) {
    return Throw(env, "baseline: not a string");
  }
  Publish(a.m, static_cast<uint32_t>(len), 2);
  return nullptr;
}

// writeView(handle, typedArray, type): memcpy of the view's bytes.
napi_value WriteView(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t h = 0, type = 0;
  napi_get_value_uint32(env, argv[0], &h);
  napi_get_value_uint32(env, argv[2], &type);
  if (h == 0 || h > mappings.size() || mappings[h - 1].base == nullptr) return Throw(env, "baseline: bad handle");
  Mapping* m = &mappings[h - 1];
  napi_typedarray_type t;
  size_t length = 0;
  void* data = nullptr;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, argv[1], &t, &length, &data, &ab, &offset) != napi_ok) {
    return Throw(env, "baseline: not a typed array");
  }
  size_t bytes = length * (t == napi_float64_array ? 8 : 4);
  if (bytes > m->size - kData) return Throw(env, "baseline: too large");
  std::memcpy(m->base + kData, data, bytes);
  Publish(m, static_cast<uint32_t>(bytes), static_cast<uint8_t>(type));
  return nullptr;
}

uint32_t SizeOf(const Mapping* m) {
  uint32_t size;
  std::memcpy(&size, m->base + kSize, 4);
  return size <= m->size - kData ? size : 0;
}

// readString(handle) -> string, made by V8 from the segment's bytes.
napi_value ReadString(napi_env env, napi_callback_info info) {
  Args a;
  if (!GetArgs(env, info, &a)) return nullptr;
  napi_value out;
  napi_create_string_utf8(env, reinterpret_cast<const char*>(a.m->base + kData), SizeOf(a.m), &out);
  return out;
}

// A new typed array of the payload: one ArrayBuffer, one memcpy.
napi_value ReadTyped(napi_env env, napi_callback_info info, napi_typedarray_type t, size_t element) {
  Args a;
  if (!GetArgs(env, info, &a)) return nullptr;
  size_t n = SizeOf(a.m) / element;
  void* data = nullptr;
  napi_value ab, out;
  napi_create_arraybuffer(env, n * element, &data, &ab);
  std::memcpy(data, a.m->base + kData, n * element);
  napi_create_typedarray(env, t, n, ab, 0, &out);
  return out;
}
napi_value ReadFloatArray(napi_env env, napi_callback_info info) { return ReadTyped(env, info, napi_float32_array, 4); }
napi_value ReadDoubleArray(napi_env env, napi_callback_info info) { return ReadTyped(env, info, napi_float64_array, 8); }

napi_value ReadFlags(napi_env env, napi_callback_info info) {
  Args a;
  if (!GetArgs(env, info, &a)) return nullptr;
  return U32(env, a.m->base[0]);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"writeString", nullptr, WriteString, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"writeView", nullptr, WriteView, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readString", nullptr, ReadString, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readFloatArray", nullptr, ReadFloatArray, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readDoubleArray", nullptr, ReadDoubleArray, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readFlags", nullptr, ReadFlags, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
