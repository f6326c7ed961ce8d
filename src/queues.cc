// Queues: the JavaScript functions of NodeSharedMemoryQueue (lib/queue.js).
#include <string>

#include "state.h"
#include "values.h"

namespace lsm {

namespace {

// queueOpen(name, capacity, maxMessageSize, flags, layout, mode, lockTimeoutMs)
//   -> [handle, capacity, maxMessageSize, bytes mapped]
Napi::Value Open(const Napi::CallbackInfo& info, State& state) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint32_t capacity = info[1].As<Napi::Number>().Uint32Value();
  uint32_t max_message = info[2].As<Napi::Number>().Uint32Value();
  uint32_t flags = info[3].As<Napi::Number>().Uint32Value();
  int32_t layout = info[4].As<Napi::Number>().Int32Value();
  uint32_t mode = info[5].As<Napi::Number>().Uint32Value();
  uint32_t timeout = info[6].As<Napi::Number>().Uint32Value();
  uint32_t h = 0;
  lsm_queue_info qi;
  if (lsm_queue_open(const_cast<char*>(name.data()), name.size(), capacity, max_message, flags, layout, mode, timeout,
                     &h, &qi, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  state.queues.Add(h);
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Number::New(env, h));
  out.Set(1u, Napi::Number::New(env, qi.capacity));
  out.Set(2u, Napi::Number::New(env, qi.max_message_size));
  out.Set(3u, Napi::Number::New(env, static_cast<double>(qi.size)));
  return out;
}

Napi::Value Close(const Napi::CallbackInfo& info, State& state) {
  uint32_t h = HandleArg(info);
  state.queues.Drop(h);
  if (lsm_queue_close(h, &state.err) < 0) return state.ThrowEngine(info.Env());
  return info.Env().Undefined();
}

// queueEnqueue(handle, string | ArrayBufferView) -> true, or false when the queue is full.
Napi::Value Enqueue(const Napi::CallbackInfo& info, State& state) {
  napi_env env = info.Env();
  void* data = nullptr;
  size_t bytes = 0;
  napi_valuetype type;
  napi_typeof(env, info[1], &type);
  if (type == napi_string) {
    if (!StringToScratch(env, info[1], state.scratch, &bytes)) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM", "not enough memory to encode the message");
    }
    data = state.scratch.data();
  } else if (!ViewBytes(env, info[1], &data, &bytes)) {
    return state.Throw(env, ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE",
                       "value must be a string or an ArrayBufferView");
  }
  int32_t rc = lsm_queue_enqueue(HandleArg(info), data, bytes, &state.err);
  state.scratch.Trim();
  if (rc < 0) return state.ThrowEngine(env);
  return Napi::Boolean::New(env, rc == 1);
}

// queueTake(handle, peek, asString) -> string | Buffer, or undefined when the queue is empty.
Napi::Value Take(const Napi::CallbackInfo& info, State& state) {
  Napi::Env env = info.Env();
  uint32_t h = HandleArg(info);
  int32_t peek = info[1].ToBoolean().Value() ? 1 : 0;
  bool as_string = info[2].ToBoolean().Value();
  int64_t n;
  for (;;) {
    n = lsm_queue_take(h, state.scratch.data(), state.scratch.size(), peek, &state.err);
    if (n == LSM_QUEUE_EMPTY) return env.Undefined();
    if (n < 0) return state.ThrowEngine(env);
    if (static_cast<uint64_t>(n) <= state.scratch.size()) break;
    // Not taken yet: grow and take it again.
    if (!state.scratch.Reserve(static_cast<size_t>(n))) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM",
                         "not enough memory to read a message of " + std::to_string(n) + " bytes");
    }
  }
  const char* data = state.scratch.data();
  napi_value out = as_string ? NewString(env, data, static_cast<size_t>(n)) : NewBuffer(env, data, static_cast<size_t>(n));
  state.scratch.Trim();
  if (out == nullptr) {
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_TOO_LARGE",
                       "a message of " + std::to_string(n) + " bytes cannot be made into a JavaScript value");
  }
  return Napi::Value(env, out);
}

Napi::Value Len(const Napi::CallbackInfo& info, State& state) {
  int64_t n = lsm_queue_len(HandleArg(info), &state.err);
  if (n < 0) return state.ThrowEngine(info.Env());
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

}  // namespace

void RegisterQueues(Methods& methods) {
  methods.Add({
      {"queueOpen", Bind<Open>},
      {"queueClose", Bind<Close>},
      {"queueEnqueue", Bind<Enqueue>},
      {"queueTake", Bind<Take>},
      {"queueLen", Bind<Len>},
  });
}

}  // namespace lsm
