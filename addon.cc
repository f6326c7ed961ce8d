// addon.cc: the N-API addon of node-libsharedmemory, registration only. Each concern lives in a
// room of its own under src/ (streams, segments, queues, watches, errors, constants), all sharing
// one State per environment (src/state.h). The rooms convert JavaScript values, make one call into
// the Go engine's C ABI (goshm/cabi/goshm.h) per operation, and turn its errors into JavaScript
// errors; argument checking lives in lib/ (JavaScript).
#include <napi.h>

#include "src/state.h"

namespace {

// setErrorFactory(fn): the function, from lib/errors.js, that builds every error the addon throws.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info, lsm::State& state) {
  if (info[0].IsFunction()) state.errors.SetFactory(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// closeAll(): run on process 'exit', which process.exit() and uncaught exceptions reach without
// tearing the environment down, so non-persistent segments are still removed.
Napi::Value CloseAll(const Napi::CallbackInfo& info, lsm::State& state) {
  state.ReleaseAll();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Freed with the environment (worker terminated, process exiting): ~State closes what is open.
  auto* state = new lsm::State();
  env.SetInstanceData(state);
  lsm::Methods methods(state);
  lsm::RegisterConstants(env, methods);
  methods.Add({
      {"setErrorFactory", lsm::Bind<SetErrorFactory>},
      {"closeAll", lsm::Bind<CloseAll>},
  });
  lsm::RegisterStreams(methods);
  lsm::RegisterSegments(methods);
  lsm::RegisterQueues(methods);
  lsm::RegisterWatches(methods);
  methods.DefineOn(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(node_libsharedmemory, Init)
