// The per-environment state of the addon (one per thread that loads it: the main thread and each
// worker), and the glue that binds a room's functions to it. Nothing is static, so workers never
// share a buffer or a handle list; when an environment goes away, ~State closes what it still has
// open, which also removes non-persistent segments.
#ifndef LSM_STATE_H
#define LSM_STATE_H

#include <napi.h>

#include <utility>
#include <vector>

#include "errors.h"
#include "goshm.h"
#include "queues.h"
#include "scratch.h"
#include "segments.h"
#include "streams.h"

namespace lsm {

struct State {
  Scratch scratch;
  Errors errors;
  lsm_error err;  // filled in by the engine call that failed
  StreamRoom streams;
  SegmentRoom segments;
  QueueRoom queues;

  ~State() { ReleaseAll(); }

  // Closes every stream and queue and drops every segment reference this environment holds; what
  // JavaScript still refers to then reports ERR_SHM_CLOSED.
  void ReleaseAll() {
    streams.CloseAll(&err);
    segments.ReleaseAll(&err);
    queues.CloseAll(&err);
  }

  // Throws the error of the engine call that just failed.
  napi_value ThrowEngine(napi_env env) { return Errors::Throw(env, errors.FromEngine(env, err)); }
  napi_value Throw(napi_env env, ErrorClass cls, const char* code, const std::string& message) {
    return Errors::Throw(env, errors.Make(env, cls, code, message));
  }
};

// A function of a room: the call's arguments and the state of the environment it runs in. It
// returns its result, or nullptr (undefined to JavaScript) after throwing.
//
// The rooms call N-API directly and check what they must, never through node-addon-api calls that
// throw on failure (Napi::Array::Set, Napi::Value::ToBoolean, Napi::Object::Freeze, ...): while a
// worker is being terminated, every N-API call that may run JavaScript fails, and such a wrapper
// then throws into an environment that cannot take an exception, which aborts the whole process.
// Arguments come through Call, below, rather than Napi::CallbackInfo.
class Call;
using Method = napi_value (*)(const Call&, State&);

// The arguments of one call from JavaScript: what Napi::CallbackInfo gives, for a fraction of its
// cost on the hot path (it also fetches `this`, which no function here uses, and wraps each
// argument). Missing arguments read as undefined, as N-API fills them; the functions here take at
// most kMaxArgs.
class Call {
 public:
  static constexpr size_t kMaxArgs = 8;
  Call(napi_env env, napi_callback_info cbinfo) : env_(env) {
    size_t argc = kMaxArgs;
    if (napi_get_cb_info(env, cbinfo, &argc, argv_, nullptr, &data_) != napi_ok) {
      for (napi_value& v : argv_) v = nullptr;  // every conversion of a null value fails: defaults
    }
  }
  napi_env Env() const { return env_; }
  void* Data() const { return data_; }
  napi_value operator[](size_t i) const { return i < kMaxArgs ? argv_[i] : nullptr; }

 private:
  napi_env env_;
  void* data_ = nullptr;
  napi_value argv_[kMaxArgs];
};

// The plain N-API callback of a Method, with the State as its data.
template <Method M>
napi_value Bind(napi_env env, napi_callback_info cbinfo) {
  Call info(env, cbinfo);
  return M(info, *static_cast<State*>(info.Data()));
}

// The functions of every room, defined on exports in one go by addon.cc: set one by one, 30-odd
// properties would turn exports into a dictionary-mode object, and every call from JavaScript
// would pay a slow property lookup.
class Methods {
 public:
  explicit Methods(State* state) : state_(state) {}
  void Add(std::initializer_list<std::pair<const char*, napi_callback>> methods) {
    for (const auto& m : methods) {
      list_.push_back({m.first, nullptr, m.second, nullptr, nullptr, nullptr, napi_enumerable, state_});
    }
  }
  void Add(const char* name, napi_value value) {
    list_.push_back({name, nullptr, nullptr, nullptr, nullptr, value, napi_enumerable, nullptr});
  }
  // False when the environment is going away under us (a worker terminated while it loads the
  // module): the module is then never used.
  bool DefineOn(napi_env env, napi_value exports) {
    return napi_define_properties(env, exports, list_.size(), list_.data()) == napi_ok;
  }

 private:
  State* state_;
  std::vector<napi_property_descriptor> list_;
};

// The first argument of every handle-taking function. JavaScript passes a handle it got from us (a
// number below 2^52, exact as a double); anything else reads as 0, which the engine reports as a
// closed handle.
inline lsm_handle HandleArg(const Call& info) {
  int64_t h = 0;
  if (napi_get_value_int64(info.Env(), info[0], &h) != napi_ok || h < 0) return 0;
  return static_cast<lsm_handle>(h);
}

// The bytes of the ArrayBufferView argument i; false, with a TypeError thrown, for anything else.
bool ViewArg(const Call& info, State& state, size_t i, const char* argument, void** data,
             size_t* bytes);

bool RegisterConstants(napi_env env, Methods& methods);
void RegisterStreams(Methods& methods);
void RegisterSegments(Methods& methods);
void RegisterQueues(Methods& methods);
void RegisterWatches(Methods& methods);
void RegisterInspect(Methods& methods);

}  // namespace lsm

#endif
