// Queues: the JavaScript functions of NodeSharedMemoryQueue (lib/queue.js).
#include <string>

#include "state.h"
#include "values.h"

namespace lsm {

namespace {

// queueOpen(name, capacity, maxMessageSize, flags, layout, mode, lockTimeoutMs)
//   -> [handle, capacity, maxMessageSize, bytes mapped]
napi_value Open(const Call& info, State& state) {
  napi_env env = info.Env();
  std::string name;
  StringArg(env, info[0], &name);  // not a string: "", which the engine refuses as a name
  uint32_t capacity = U32Arg(env, info[1]);
  uint32_t max_message = U32Arg(env, info[2]);
  uint32_t flags = U32Arg(env, info[3]);
  int32_t layout = I32Arg(env, info[4], -1);
  uint32_t mode = U32Arg(env, info[5]);
  uint32_t timeout = U32Arg(env, info[6]);
  lsm_handle h = 0;
  lsm_queue_info qi;
  if (lsm_queue_open(const_cast<char*>(name.data()), name.size(), capacity, max_message, flags, layout, mode, timeout,
                     &h, &qi, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  // The result cannot be made only while the environment is being torn down: the queue is closed
  // again then, so the failed call leaves nothing open.
  napi_value out = Numbers(env, {static_cast<double>(h), static_cast<double>(qi.capacity),
                                 static_cast<double>(qi.max_message_size), static_cast<double>(qi.size)});
  if (out == nullptr) {
    lsm_queue_close(h, &state.err);
    return nullptr;
  }
  state.queues.Add(h);
  return out;
}

napi_value Close(const Call& info, State& state) {
  lsm_handle h = HandleArg(info);
  state.queues.Forget(h);  // before the engine frees its fast-path state
  int32_t rc = lsm_queue_close(h, &state.err);
  state.queues.Drop(info.Env(), h);  // after the close has stopped the watchers that store into its cell
  if (rc < 0) return state.ThrowEngine(info.Env());
  return nullptr;
}

// queueReattach(handle, pollMs, flags, cell): the queue follows its name (lsm_queue_reattach) and
// keeps its reattach state in cell, a Uint32Array of 2 JavaScript compares after each operation.
napi_value Reattach(const Call& info, State& state) {
  napi_env env = info.Env();
  lsm_handle h = HandleArg(info);
  uint32_t* cell = U32CellArg(env, info[3], 2);
  if (cell == nullptr) {
    return state.Throw(env, ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE", "cell must be a Uint32Array of 2");
  }
  napi_ref ref = nullptr;
  if (napi_create_reference(env, info[3], 1, &ref) != napi_ok) return nullptr;
  if (!state.queues.KeepCell(h, ref)) {
    napi_delete_reference(env, ref);
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_CLOSED", "the queue is closed");
  }
  if (lsm_queue_reattach(h, U32Arg(env, info[1]), U32Arg(env, info[2]), cell, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  return nullptr;
}

// queueDescribe(handle) -> [capacity, maxMessageSize, bytes mapped]: after a move to a new segment.
napi_value Describe(const Call& info, State& state) {
  lsm_queue_info qi;
  if (lsm_queue_describe(HandleArg(info), &qi, &state.err) < 0) return state.ThrowEngine(info.Env());
  return Numbers(info.Env(), {static_cast<double>(qi.capacity), static_cast<double>(qi.max_message_size),
                              static_cast<double>(qi.size)});
}

// queueEnqueue(handle, string | ArrayBufferView) -> true, or false when the queue is full.
napi_value Enqueue(const Call& info, State& state) {
  napi_env env = info.Env();
  void* data = nullptr;
  size_t bytes = 0;
  napi_valuetype type = napi_undefined;
  napi_typeof(env, info[1], &type);  // fails only for a missing value, left as undefined (refused below)
  if (type == napi_string) {
    if (!StringToScratch(env, info[1], state.scratch, &bytes)) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM", "not enough memory to encode the message");
    }
    data = state.scratch.data();
  } else if (!ViewBytes(env, info[1], &data, &bytes)) {
    return state.Throw(env, ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE",
                       "value must be a string or an ArrayBufferView");
  }
  int32_t rc = state.queues.Enqueue(HandleArg(info), data, bytes, &state.err);
  state.scratch.Trim();
  if (rc < 0) return state.ThrowEngine(env);
  return Boolean(env, rc == 1);
}

napi_value CannotMake(napi_env env, State& state, int64_t bytes, const char* what, const std::string& why) {
  return state.Throw(env, ErrorClass::kError, "ERR_SHM_TOO_LARGE",
                     "a message of " + std::to_string(bytes) + " bytes cannot be made into a " + what + why);
}

// A binary message of n bytes, more than the scratch buffer holds, taken straight into the Buffer
// that is returned, made before the take: a Buffer that cannot be made leaves the message where it
// is (and saves a copy). A large one is first asked of malloc (values.cc CanAllocate), so a message
// too large for the memory left is ENOMEM, not V8's fatal out-of-memory.
napi_value TakeIntoBuffer(napi_env env, State& state, lsm_handle h, int32_t peek, int64_t n) {
  for (;;) {
    void* data = nullptr;
    bool no_memory = false;
    napi_value buffer = NewBufferFor(env, static_cast<size_t>(n), &data, &no_memory);
    if (no_memory) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM",
                         "not enough memory for a Buffer of a message of " + std::to_string(n) +
                             " bytes; it is left in the queue");
    }
    if (buffer == nullptr) {
      return CannotMake(env, state, n, "Buffer", " (out of memory); it is left in the queue");
    }
    int64_t got = state.queues.Take(h, data, static_cast<size_t>(n), peek, &state.err);
    if (got == LSM_QUEUE_EMPTY) return Undefined(env);  // another consumer took it meanwhile
    if (got < 0) return state.ThrowEngine(env);
    if (got == n) return buffer;
    if (got < n) {
      // Another consumer took it, and the next, shorter one was taken in its place: only a copy of
      // that many bytes is needed now.
      napi_value out = NewBuffer(env, static_cast<const char*>(data), static_cast<size_t>(got));
      return out != nullptr ? out : CannotMake(env, state, got, "Buffer", " (out of memory)");
    }
    n = got;  // the next one is longer, so it was not taken: again, at its length
  }
}

// queueTake(handle, peek, asString, maxStringBytes) -> string | Buffer, or undefined when the
// queue is empty.
//
// A take that throws removes nothing. The engine neither copies nor removes a message longer than
// the room it is given, and says how long it is; so a message is taken only into room made for it
// first: the scratch buffer for a string (grown to its length, or ENOMEM), the Buffer returned for
// a long binary message. A 'utf8' message longer than maxStringBytes (V8's longest string, which
// JavaScript passes) is refused with ERR_SHM_TOO_LARGE and stays in the queue for a 'buffer'
// consumer: its bytes make a string that V8 can hold only if enough of them are multi-byte
// characters, and looking would mean taking it.
napi_value Take(const Call& info, State& state) {
  napi_env env = info.Env();
  lsm_handle h = HandleArg(info);
  int32_t peek = BoolArg(env, info[1]) ? 1 : 0;
  bool as_string = BoolArg(env, info[2]);
  uint64_t max_string = as_string ? U64Arg(env, info[3]) : 0;  // 0: no limit given
  auto room = [&]() -> size_t {
    size_t r = state.scratch.size();
    return max_string != 0 && r > max_string ? static_cast<size_t>(max_string) : r;
  };
  size_t cap = room();
  int64_t n = state.queues.Take(h, state.scratch.data(), cap, peek, &state.err);
  while (n >= 0 && static_cast<uint64_t>(n) > cap) {  // longer than the room: measured, not taken
    if (!as_string) return TakeIntoBuffer(env, state, h, peek, n);
    if (max_string != 0 && static_cast<uint64_t>(n) > max_string) {
      return CannotMake(env, state, n, "string",
                        " (JavaScript strings hold at most " + std::to_string(max_string) +
                            " characters); it is left in the queue: take it with encoding 'buffer'");
    }
    if (!state.scratch.Reserve(static_cast<size_t>(n))) {
      return state.Throw(env, ErrorClass::kError, "ENOMEM",
                         "not enough memory to read a message of " + std::to_string(n) + " bytes");
    }
    cap = room();
    n = state.queues.Take(h, state.scratch.data(), cap, peek, &state.err);
  }
  if (n == LSM_QUEUE_EMPTY) return Undefined(env);
  if (n < 0) return state.ThrowEngine(env);
  const char* data = state.scratch.data();
  napi_value out = as_string ? NewString(env, data, static_cast<size_t>(n)) : NewBuffer(env, data, static_cast<size_t>(n));
  state.scratch.Trim();
  // At most max_string bytes make a string V8 can hold, so only memory can run out here.
  if (out == nullptr) return CannotMake(env, state, n, as_string ? "string" : "Buffer", " (out of memory)");
  return out;
}

napi_value Len(const Call& info, State& state) {
  int64_t n = state.queues.Len(HandleArg(info), &state.err);
  if (n < 0) return state.ThrowEngine(info.Env());
  return Number(info.Env(), static_cast<double>(n));
}

// queueEngineCalls(handle) -> the operations of the queue that went the engine's way (queues.h).
napi_value EngineCalls(const Call& info, State& state) {
  return Number(info.Env(), state.queues.EngineCalls(HandleArg(info)));
}

// queueBreakLock(handle, which, force) -> [producer word broken, consumer word broken] (0: none)
napi_value BreakLock(const Call& info, State& state) {
  napi_env env = info.Env();
  uint32_t broken[2] = {0, 0};
  if (lsm_queue_break_lock(HandleArg(info), U32Arg(env, info[1]), BoolArg(env, info[2]) ? 1 : 0, broken, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  return Numbers(env, {static_cast<double>(broken[0]), static_cast<double>(broken[1])});
}

// queueStaleLock(handle, ms): the stale-lock rule, 0 off.
napi_value StaleLock(const Call& info, State& state) {
  if (lsm_queue_stale_lock(HandleArg(info), U32Arg(info.Env(), info[1]), &state.err) < 0) {
    return state.ThrowEngine(info.Env());
  }
  return nullptr;
}

// queueLockBroken(handle) -> [producer, consumer]: what the stale rule took over since last asked.
napi_value LockBroken(const Call& info, State& state) {
  uint32_t broken[2] = {0, 0};
  if (lsm_queue_lock_broken(HandleArg(info), broken, &state.err) < 0) return state.ThrowEngine(info.Env());
  return Numbers(info.Env(), {static_cast<double>(broken[0]), static_cast<double>(broken[1])});
}

}  // namespace

void RegisterQueues(Methods& methods) {
  methods.Add({
      {"queueOpen", Bind<Open>},
      {"queueClose", Bind<Close>},
      {"queueEnqueue", Bind<Enqueue>},
      {"queueTake", Bind<Take>},
      {"queueLen", Bind<Len>},
      {"queueEngineCalls", Bind<EngineCalls>},
      {"queueBreakLock", Bind<BreakLock>},
      {"queueStaleLock", Bind<StaleLock>},
      {"queueLockBroken", Bind<LockBroken>},
      {"queueReattach", Bind<Reattach>},
      {"queueDescribe", Bind<Describe>},
  });
}

}  // namespace lsm
