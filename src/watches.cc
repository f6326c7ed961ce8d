// Watches: change notifications from the engine's watcher threads to JavaScript, through one
// thread-safe function each. The engine's watch id is the only name a watch has: JavaScript holds
// it, and the addon's state for it (Watch) is the ctx the engine hands back, so the addon keeps no
// table of its own. A notification carries the watched word's new value; for a 'change' watch the
// addon also reads the stream's value on the JavaScript thread and hands it over, so that an event
// makes no further call down.
//
// Life of a Watch: created by a start function; the engine calls OnNotify from its thread, and a
// last time with ended = 1 when the watch ends (stop, close of its stream or queue, a fault);
// that final call releases the thread-safe function, whose finalizer (FinalizeWatch, on the
// JavaScript thread) frees the engine id and the Watch. An environment torn down first finalizes
// the function itself; FinalizeWatch then stops the engine watch, whose final call must not touch
// the function any more (finalizing).
#include <atomic>
#include <functional>

#include "state.h"
#include "streams.h"
#include "values.h"

namespace lsm {

namespace {

struct Watch {
  napi_threadsafe_function tsfn = nullptr;
  State* state = nullptr;
  lsm_handle id = 0;
  lsm_handle stream = 0;   // a 'change' watch: the stream whose value is delivered
  bool change = false;
  uint32_t delivered = 0;  // a 'change' watch: the revision of the value last delivered (JS thread)
  uint32_t generation = 0; // a 'change' watch: the stream's segment then (it may follow its name)
  bool freed = false;      // the engine id was stopped and freed by the addon (JS thread)
  std::atomic<uint32_t> latest{0};
  std::atomic<bool> pending{false};     // a JavaScript call is queued: later changes ride on it
  std::atomic<bool> ended{false};       // the engine's final call came
  std::atomic<bool> stopped{false};     // JavaScript stopped it: no JavaScript call after that
  std::atomic<bool> finalizing{false};  // the thread-safe function is being finalized
};

// The engine's notification, on its thread. The thread-safe function's calls fail only once it is
// closing (its environment going away, or already released), when there is nobody to call: with an
// unlimited queue, a non-blocking call is never refused for being full.
void OnNotify(void* ctx, uint32_t value, int32_t ended) {
  auto* w = static_cast<Watch*>(ctx);
  w->latest.store(value, std::memory_order_release);
  if (ended) {
    if (w->finalizing.load(std::memory_order_acquire)) return;
    w->ended.store(true, std::memory_order_release);
    // One last look (a fault is met there), then the function may go.
    if (!w->stopped.load(std::memory_order_acquire)) {
      napi_call_threadsafe_function(w->tsfn, nullptr, napi_tsfn_nonblocking);
    }
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
    return;
  }
  // Coalesce: CallJs clears pending before it reads latest, so the last change is never missed.
  if (!w->pending.exchange(true, std::memory_order_acq_rel)) {
    napi_call_threadsafe_function(w->tsfn, nullptr, napi_tsfn_nonblocking);
  }
}

// Calls a watch's JavaScript callback. An exception it throws (a 'change' listener that throws, an
// 'error' event nobody listens to) belongs to the application: it is handed to the process as
// uncaught, as for any event emitter, where Node-API would drop it (with a DEP0168 warning). A call
// that failed because the environment is going away leaves no exception, and nobody to tell.
void CallBack(napi_env env, napi_value callback, size_t argc, napi_value* argv) {
  if (napi_call_function(env, Undefined(env), callback, argc, argv, nullptr) == napi_ok) return;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return;
  napi_value exception;
  if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
}

// A 'change' watch's delivery: the value read now, unless it is the value last delivered. The
// notified revision can lag the one a read already covered (the watcher loads the word, a write
// and our read happen, then its call arrives), so the read's own revision decides; the notified
// one only spares the read when it shows nothing new.
//
// The read is not the reader's: its state (what hasNewData(), markAsRead() and the waits go by) is
// put back before the listeners run, so that listening takes no value away from a wait, an
// iterator or the application's own reads. The watch keeps its own place (delivered) instead.
void DeliverChange(napi_env env, napi_value callback, Watch* w, uint32_t revision) {
  bool ended = w->ended.load(std::memory_order_acquire);
  State& state = *w->state;
  // A watcher that found the name moved to a new segment asks the read to follow it (Due); the
  // revisions of two segments say nothing of each other, so a move alone is news.
  if (revision == w->delivered && !ended && !state.streams.Due(w->stream)) return;
  StreamRoom::ReaderMark mark = state.streams.Mark(w->stream);
  napi_value args[2] = {Undefined(env), nullptr};
  args[1] = ReadValue(env, state, w->stream, &args[0]);
  if (args[1] == nullptr) {
    args[1] = Undefined(env);
  } else {
    int64_t seen = state.streams.Seen(w->stream, &state.err);
    uint32_t generation = state.streams.Generation(w->stream);
    StreamRoom::Restore(mark);
    if (seen < 0 || (static_cast<uint32_t>(seen) == w->delivered && generation == w->generation)) return;
    w->delivered = static_cast<uint32_t>(seen);
    w->generation = generation;
  }
  CallBack(env, callback, 2, args);
}

void CallJs(napi_env env, napi_value callback, void* context, void*) {
  auto* w = static_cast<Watch*>(context);
  w->pending.store(false, std::memory_order_release);
  if (env == nullptr || callback == nullptr || w->stopped.load(std::memory_order_acquire)) return;
  uint32_t value = w->latest.load(std::memory_order_acquire);
  if (w->change) {
    DeliverChange(env, callback, w, value);
    return;
  }
  napi_value arg = Number(env, value);
  if (arg != nullptr) CallBack(env, callback, 1, &arg);
}

void FinalizeWatch(napi_env, void* data, void*) {
  auto* w = static_cast<Watch*>(data);
  w->finalizing.store(true, std::memory_order_release);
  if (!w->freed) {
    lsm_error err;
    lsm_watch_stop(w->id, &err);  // returns after the engine's final call
  }
  delete w;
}

using EngineStart = std::function<int32_t(Watch* w, uint32_t* baseline)>;

// Creates the thread-safe function, then the engine watch that calls it. Returns the id (below
// 2^52: exact as a JavaScript number).
napi_value Start(const Call& info, State& state, napi_value callback, Watch* w,
                 const EngineStart& start) {
  napi_env env = info.Env();
  w->state = &state;
  napi_value name = nullptr;  // left null when it cannot be made: the creation below then fails
  napi_create_string_utf8(env, "node-libsharedmemory watch", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, callback, nullptr, name, 0, 1, w, FinalizeWatch, w, CallJs, &w->tsfn) !=
      napi_ok) {
    delete w;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {  // ours is the error to throw
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return state.Throw(env, ErrorClass::kError, "ERR_SHM_INTERNAL", "could not create a thread-safe function");
  }
  uint32_t baseline = 0;
  if (start(w, &baseline) < 0) {
    w->freed = true;  // the engine has no watch for it
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);  // FinalizeWatch frees w
    return state.ThrowEngine(env);
  }
  w->delivered = baseline;
  if (w->change) w->generation = state.streams.Generation(w->stream);
  napi_value id = Number(env, static_cast<double>(w->id));
  if (id == nullptr) {  // the environment is going away: nobody could ever stop it, so stop it now
    w->stopped.store(true, std::memory_order_release);
    w->freed = true;
    lsm_watch_stop(w->id, &state.err);  // its final call releases the function
  }
  return id;
}

uint32_t PollArg(const Call& info, size_t i) { return U32Arg(info.Env(), info[i]); }

// watchStart(handle, field, pollMs, callback(word)) -> id: the revision or the ack of a v2 stream.
napi_value WatchStart(const Call& info, State& state) {
  lsm_handle h = HandleArg(info);
  int32_t field = I32Arg(info.Env(), info[1], -1);  // not a number: an unknown field, which the engine refuses
  uint32_t poll = PollArg(info, 2);
  return Start(info, state, info[3], new Watch(), [&](Watch* w, uint32_t* baseline) {
    return lsm_watch_start(h, field, poll, OnNotify, w, &w->id, baseline, &state.err);
  });
}

// changeWatchStart(handle, pollMs, callback(err, value)) -> id: each new value of a v2 stream.
napi_value ChangeWatchStart(const Call& info, State& state) {
  lsm_handle h = HandleArg(info);
  uint32_t poll = PollArg(info, 1);
  auto* watch = new Watch();
  watch->change = true;
  watch->stream = h;
  return Start(info, state, info[2], watch, [&](Watch* w, uint32_t* baseline) {
    return lsm_watch_start(h, LSM_FIELD_REVISION, poll, OnNotify, w, &w->id, baseline, &state.err);
  });
}

// queueWatchStart(handle, pollMs, callback(count)) -> id: a queue's count.
napi_value QueueWatchStart(const Call& info, State& state) {
  lsm_handle h = HandleArg(info);
  uint32_t poll = PollArg(info, 1);
  return Start(info, state, info[2], new Watch(), [&](Watch* w, uint32_t* baseline) {
    return lsm_queue_watch_start(h, poll, OnNotify, w, &w->id, baseline, &state.err);
  });
}

// The Watch of a live id of this environment, or nullptr.
Watch* Find(const Call& info, State& state) {
  auto* w = static_cast<Watch*>(lsm_watch_context(HandleArg(info)));
  return w != nullptr && w->state == &state && !w->freed ? w : nullptr;
}

// watchStop(id): no callback runs after this returns. Stopping an ended or unknown id does nothing,
// and so does a stale one: an id is never reused (goshm.h lsm_handle).
napi_value WatchStop(const Call& info, State& state) {
  if (Watch* w = Find(info, state)) {
    w->stopped.store(true, std::memory_order_release);
    w->freed = true;
    lsm_watch_stop(w->id, &state.err);  // its final call releases the function
  }
  return nullptr;
}

// watchRef(id, keepAlive): whether the watch keeps the event loop alive. (Both calls fail only for
// a function already released, whose watch no longer holds the loop anyway.)
napi_value WatchRef(const Call& info, State& state) {
  if (Watch* w = Find(info, state)) {
    if (BoolArg(info.Env(), info[1])) {
      napi_ref_threadsafe_function(info.Env(), w->tsfn);
    } else {
      napi_unref_threadsafe_function(info.Env(), w->tsfn);
    }
  }
  return nullptr;
}

}  // namespace

void RegisterWatches(Methods& methods) {
  methods.Add({
      {"watchStart", Bind<WatchStart>},
      {"changeWatchStart", Bind<ChangeWatchStart>},
      {"queueWatchStart", Bind<QueueWatchStart>},
      {"watchStop", Bind<WatchStop>},
      {"watchRef", Bind<WatchRef>},
  });
}

}  // namespace lsm
