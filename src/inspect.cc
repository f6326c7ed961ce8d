// inspect() and list() (lib/inspect.js): the engine's description of segments, as plain objects of
// the C ABI's fields. lib/inspect.js turns them into the public shape, so the names JavaScript sees
// are decided there, once.
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "state.h"
#include "values.h"

namespace lsm {

namespace {

// One lsm_inspect_info as an object, defined in one go (no setter runs); nullptr when the
// environment is going away.
napi_value InfoObject(napi_env env, const lsm_inspect_info& in) {
  std::vector<napi_property_descriptor> props;
  bool ok = true;
  auto put = [&](const char* key, napi_value v) {
    ok = ok && v != nullptr;
    props.push_back({key, nullptr, nullptr, nullptr, nullptr, v, napi_enumerable, nullptr});
  };
  auto num = [&](const char* key, double v) { put(key, Number(env, v)); };
  auto str = [&](const char* key, const char* s, size_t cap) { put(key, NewString(env, s, strnlen(s, cap))); };
  str("name", in.name, sizeof in.name);
  num("shape", in.shape);
  num("layout", in.layout);
  num("orV0", in.or_v0);
  num("type", in.type);
  num("size", static_cast<double>(in.size));
  num("length", in.length);
  num("flags", in.flags);
  num("revision", in.revision);
  num("ack", in.ack);
  num("lock", in.lock);
  num("lockAlive", in.lock_alive);
  num("capacity", in.capacity);
  num("maxMessageSize", in.max_message_size);
  num("count", in.count);
  num("readIndex", in.read_index);
  num("writeIndex", in.write_index);
  num("producerLock", in.producer_lock);
  num("consumerLock", in.consumer_lock);
  num("producerAlive", in.producer_alive);
  num("consumerAlive", in.consumer_alive);
  num("hasOwner", in.has_owner);
  num("uid", in.uid);
  num("mode", in.mode);
  num("inUse", in.in_use);
  num("mapped", in.mapped);
  num("announced", in.announced);
  num("mtimeMs", static_cast<double>(in.mtime_ms));
  str("owner", in.owner, sizeof in.owner);
  str("error", in.error, sizeof in.error);
  napi_value obj;
  if (!ok || napi_create_object(env, &obj) != napi_ok ||
      napi_define_properties(env, obj, props.size(), props.data()) != napi_ok) {
    return nullptr;
  }
  return obj;
}

// inspect(name) -> the description of one segment.
napi_value Inspect(const Call& info, State& state) {
  napi_env env = info.Env();
  std::string name;
  StringArg(env, info[0], &name);  // not a string: "", which the engine refuses as a name
  lsm_inspect_info in;
  if (lsm_inspect(const_cast<char*>(name.data()), name.size(), &in, &state.err) < 0) return state.ThrowEngine(env);
  return InfoObject(env, in);
}

// list() -> descriptions of every segment this process can see. Segments come and go between two
// calls of the engine, so the array is grown until the count fits.
napi_value List(const Call& info, State& state) {
  napi_env env = info.Env();
  std::unique_ptr<lsm_inspect_info[]> infos;
  size_t cap = 0;
  int64_t n = 0;
  for (;;) {
    n = lsm_list(infos.get(), cap, &state.err);
    if (n < 0) return state.ThrowEngine(env);
    if (static_cast<uint64_t>(n) <= cap) break;
    cap = static_cast<size_t>(n) + 16;
    infos.reset(new (std::nothrow) lsm_inspect_info[cap]);
    if (infos == nullptr) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM", "not enough memory to list shared memory segments");
    }
  }
  napi_value array;
  if (napi_create_array_with_length(env, static_cast<size_t>(n), &array) != napi_ok) return nullptr;
  for (int64_t i = 0; i < n; i++) {
    napi_value obj = InfoObject(env, infos[static_cast<size_t>(i)]);
    if (obj == nullptr || napi_set_element(env, array, static_cast<uint32_t>(i), obj) != napi_ok) return nullptr;
  }
  return array;
}

}  // namespace

void RegisterInspect(Methods& methods) {
  methods.Add({
      {"inspect", Bind<Inspect>},
      {"list", Bind<List>},
  });
}

}  // namespace lsm
