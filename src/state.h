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
  Napi::Value ThrowEngine(napi_env env) { return Errors::Throw(env, errors.FromEngine(env, err)); }
  Napi::Value Throw(napi_env env, ErrorClass cls, const char* code, const std::string& message) {
    return Errors::Throw(env, errors.Make(env, cls, code, message));
  }
};

// A function of a room: the call's arguments and the state of the environment it runs in.
using Method = Napi::Value (*)(const Napi::CallbackInfo&, State&);

// The plain N-API callback of a Method, with the State as its data.
template <Method M>
napi_value Bind(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
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
  void DefineOn(Napi::Env env, Napi::Object exports) {
    napi_define_properties(env, exports, list_.size(), list_.data());
  }

 private:
  State* state_;
  std::vector<napi_property_descriptor> list_;
};

// The first argument of every handle-taking function. JavaScript passes a handle it got from us;
// anything else reads as 0, which the engine reports as a closed handle.
inline uint32_t HandleArg(const Napi::CallbackInfo& info) {
  uint32_t h = 0;
  napi_get_value_uint32(info.Env(), info[0], &h);
  return h;
}

// The bytes of the ArrayBufferView argument i; false, with a TypeError thrown, for anything else.
bool ViewArg(const Napi::CallbackInfo& info, State& state, size_t i, const char* argument, void** data,
             size_t* bytes);

void RegisterConstants(Napi::Env env, Methods& methods);
void RegisterStreams(Methods& methods);
void RegisterSegments(Methods& methods);
void RegisterQueues(Methods& methods);
void RegisterWatches(Methods& methods);

}  // namespace lsm

#endif
