// addon.cc: the N-API addon of node-libsharedmemory, registration only. Each concern lives in a
// room of its own under src/ (streams, segments, queues, watches, errors, constants), all sharing
// one State per environment (src/state.h). The rooms convert JavaScript values, make one call into
// the Go engine's C ABI (goshm/cabi/goshm.h) per operation, and turn its errors into JavaScript
// errors; argument checking lives in lib/ (JavaScript).
#include <napi.h>

#include <new>

#include "src/state.h"
#include "src/values.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif

namespace {

// setErrorFactory(fn): the function, from lib/errors.js, that builds every error the addon throws.
napi_value SetErrorFactory(const lsm::Call& info, lsm::State& state) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(info.Env(), info[0], &type) == napi_ok && type == napi_function &&
      !state.errors.SetFactory(info.Env(), info[0])) {
    return state.Throw(info.Env(), lsm::ErrorClass::kError, "ERR_SHM_INTERNAL", "could not keep the error factory");
  }
  return nullptr;
}

// closeAll(): run on process 'exit', which process.exit() and uncaught exceptions reach without
// tearing the environment down, so non-persistent segments are still removed.
napi_value CloseAll(const lsm::Call&, lsm::State& state) {
  state.ReleaseAll();
  return nullptr;
}

// reinstallFaultGuard() -> whether the fast path's fault handlers are on top of SIGBUS/SIGSEGV
// (lib/signals.js calls it when process.on('SIGBUS') has installed libuv's over them).
napi_value ReinstallFaultGuard(const lsm::Call& info, lsm::State&) {
  return lsm::Boolean(info.Env(), lsm_fast_reinstall() == 1);
}

void DeleteState(napi_env, void* data, void*) { delete static_cast<lsm::State*>(data); }

napi_value Init(napi_env env, napi_value exports);

#ifdef _WIN32
// Node frees an addon when the last environment that loaded it ends (a worker that was its only
// user), and Windows then unloads goshm.dll with it. A Go runtime cannot be unloaded: its threads
// and its exception handlers would go on running in freed code (the next exception anywhere in
// the process re-faults in the handler until the stack overflows). Pinning this module keeps it,
// and so the library it imports, for the life of the process, as on the other systems.
void PinModule() {
  HMODULE self = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                     reinterpret_cast<LPCWSTR>(&Init), &self);
}
#endif

napi_value Init(napi_env env, napi_value exports) {
#ifdef _WIN32
  PinModule();
#endif
  // Freed with the environment (worker terminated, process exiting): ~State closes what is open.
  auto* state = new (std::nothrow) lsm::State();
  if (state == nullptr) {
    napi_throw_error(env, "ENOMEM", "not enough memory to load node-libsharedmemory");
    return nullptr;
  }
  if (napi_set_instance_data(env, state, DeleteState, nullptr) != napi_ok) {
    delete state;
    return nullptr;
  }
  lsm::Methods methods(state);
  // Each step fails only when the environment is going away while it loads the module (a worker
  // terminated during require()): the module is then never used, and nothing is left to clean up
  // beyond the State, which the environment frees.
  if (!lsm::RegisterConstants(env, methods)) return exports;
  methods.Add({
      {"setErrorFactory", lsm::Bind<SetErrorFactory>},
      {"closeAll", lsm::Bind<CloseAll>},
      {"reinstallFaultGuard", lsm::Bind<ReinstallFaultGuard>},
  });
  lsm::RegisterStreams(methods);
  lsm::RegisterSegments(methods);
  lsm::RegisterQueues(methods);
  lsm::RegisterWatches(methods);
  lsm::RegisterInspect(methods);
  // The fault guard's handlers go on top now, while the Go runtime's are the ones they find there
  // (lsm_fast_reinstall, goshm.h): a SIGBUS listener added later replaces ours, and putting them
  // back then must not take libuv's for the first handler. The Go runtime starts on a thread of its
  // own when the library loads; a call into Go waits for it (and handle 0 is simply refused).
  lsm_stream_query(0, LSM_QUERY_SEEN, &state->err);
  lsm_fast_reinstall();
  methods.DefineOn(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
