// The per-environment state of the addon (one per thread that loads it: the main thread and each
// worker), and the glue that binds a room's functions to it. Nothing is static, so workers never
// share a buffer or a handle list; when an environment goes away, ~State closes what it still has
// open, which also removes non-persistent segments.
#ifndef LSM_STATE_H
#define LSM_STATE_H

#include <napi.h>

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

template <Method M>
Napi::Value Bind(const Napi::CallbackInfo& info) {
  return M(info, *static_cast<State*>(info.Data()));
}

struct MethodEntry {
  const char* name;
  Napi::Function::Callback callback;
};

// Sets each method on exports, bound to state.
inline void Define(Napi::Env env, Napi::Object exports, State* state, std::initializer_list<MethodEntry> methods) {
  for (const MethodEntry& m : methods) exports.Set(m.name, Napi::Function::New(env, m.callback, m.name, state));
}

// The first argument of every handle-taking function. JavaScript passes a handle it got from us;
// anything else reads as 0, which the engine reports as a closed handle.
inline uint32_t HandleArg(const Napi::CallbackInfo& info) {
  uint32_t h = 0;
  napi_get_value_uint32(info.Env(), info[0], &h);
  return h;
}

void RegisterConstants(Napi::Env env, Napi::Object exports);
void RegisterStreams(Napi::Env env, Napi::Object exports, State* state);
void RegisterSegments(Napi::Env env, Napi::Object exports, State* state);
void RegisterQueues(Napi::Env env, Napi::Object exports, State* state);
void RegisterWatches(Napi::Env env, Napi::Object exports, State* state);

}  // namespace lsm

#endif
