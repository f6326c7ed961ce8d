// Streams: the JavaScript functions of NodeSharedMemoryWriteStream / ReadStream (lib/stream.js),
// each one engine call (or one fast-path call) per operation.
#include "streams.h"

#include <string>

#include "state.h"
#include "values.h"

namespace lsm {

void StreamRoom::Add(lsm_handle h, lsm_fast* fast) {
  size_t i = static_cast<size_t>(h & kIndexMask);
  if (i >= slots_.size()) slots_.resize(i + 1);
  slots_[i] = Slot{h, fast};
}

void StreamRoom::Drop(napi_env env, lsm_handle h) {
  size_t i = static_cast<size_t>(h & kIndexMask);
  if (i < slots_.size() && slots_[i].handle == h) {
    if (slots_[i].cell_ref != nullptr) napi_delete_reference(env, slots_[i].cell_ref);
    slots_[i] = Slot{};
  }
}

void StreamRoom::SetCell(napi_env env, lsm_handle h, uint32_t* cell, napi_ref ref) {
  size_t i = static_cast<size_t>(h & kIndexMask);
  if (i >= slots_.size() || slots_[i].handle != h || slots_[i].cell_ref != nullptr) {
    napi_delete_reference(env, ref);
    return;
  }
  slots_[i].cell = cell;
  slots_[i].cell_ref = ref;
  Sync(h);
}

void StreamRoom::CloseAll(lsm_error* err) {
  std::vector<Slot> open;
  open.swap(slots_);  // forgotten before the engine frees what the slots point to
  for (const Slot& s : open) {
    if (s.handle != 0) lsm_stream_close(s.handle, err);
  }
}

int32_t StreamRoom::Write(lsm_handle h, uint32_t type, void* data, size_t len, lsm_error* err) {
  if (lsm_fast* f = FastOf(h)) {
    int32_t rc = lsm_fast_write(f, type, data, len);
    if (rc != LSM_FAST_SLOW) return rc;
  }
  return lsm_stream_write(h, type, data, len, err);
}

int64_t StreamRoom::ReadWhole(lsm_handle h, uint32_t type, void* dst, size_t cap, uint32_t unit, uint32_t* flags,
                              lsm_error* err) {
  if (lsm_fast* f = FastOf(h)) {
    int64_t n = lsm_fast_read(f, type, dst, cap, unit, flags);
    if (n != LSM_FAST_SLOW) return n;
  }
  int64_t n = lsm_stream_read(h, type, dst, cap, unit, flags, err);
  Sync(h);
  return n;
}

int32_t StreamRoom::Flags(lsm_handle h, lsm_error* err) {
  if (lsm_fast* f = FastOf(h)) {
    int32_t v = lsm_fast_flags(f);
    if (v != LSM_FAST_SLOW) return v;
  }
  int32_t v = lsm_stream_flags(h, err);
  Sync(h);
  return v;
}

int64_t StreamRoom::Seen(lsm_handle h, lsm_error* err) {
  if (lsm_fast* f = FastOf(h)) return f->seen;
  return lsm_stream_query(h, LSM_QUERY_SEEN, err);
}

namespace {

// A value V8 refused to create (a string past its length limit, an allocation that failed).
napi_value TooLargeForJs(napi_env env, State& state, int64_t bytes, const char* what) {
  return state.errors.Make(env, ErrorClass::kError, "ERR_SHM_TOO_LARGE",
                           "the payload of " + std::to_string(bytes) + " bytes cannot be made into a " + what +
                               " (the JavaScript engine refused it: too long or out of memory)");
}

// Reads the payload into the scratch buffer, growing it until the payload fits, for a value of
// type `as` (0: by the flags byte). Returns the payload size, or -1 with *error set: the engine's
// error, ENOMEM when the buffer cannot grow to the payload's size, or ERR_SHM_TOO_LARGE, before
// anything is copied, for a string longer than any string can be.
int64_t ReadToScratch(napi_env env, State& state, lsm_handle h, uint32_t type, uint32_t as, uint32_t* flags,
                      napi_value* error) {
  for (;;) {
    int64_t n = state.streams.Read(h, type, state.scratch.data(), state.scratch.size(), flags, &state.err);
    if (n < 0) {
      *error = state.errors.FromEngine(env, state.err);
      return -1;
    }
    if (static_cast<uint64_t>(n) <= state.scratch.size()) return n;
    if (((as != 0 ? as : *flags) & LSM_TYPE_STRING) && static_cast<uint64_t>(n) > kMaxStringBytes) {
      *error = TooLargeForJs(env, state, n, "string");
      return -1;
    }
    if (!state.scratch.Reserve(static_cast<size_t>(n))) {
      *error = state.errors.Make(env, ErrorClass::kError, "ENOMEM",
                                 "not enough memory to read the payload of " + std::to_string(n) + " bytes");
      return -1;
    }
  }
}

// streamOpen(name, size, flags, layout, mode, lockTimeoutMs) -> [handle, bytes mapped]
napi_value Open(const Call& info, State& state) {
  napi_env env = info.Env();
  std::string name;
  StringArg(env, info[0], &name);  // not a string: "", which the engine refuses as a name
  uint64_t size = U64Arg(env, info[1]);
  uint32_t flags = U32Arg(env, info[2]);
  int32_t layout = I32Arg(env, info[3], -1);
  uint32_t mode = U32Arg(env, info[4]);
  uint32_t timeout = U32Arg(env, info[5]);
  lsm_handle h = 0;
  uint64_t mapped = 0;
  lsm_fast* fast = nullptr;
  if (lsm_stream_open(const_cast<char*>(name.data()), name.size(), size, flags, layout, mode, timeout, &h, &mapped,
                      &fast, &state.err) < 0) {
    return state.ThrowEngine(env);
  }
  // The result cannot be made only while the environment is being torn down: the stream is closed
  // again then, so the failed call leaves nothing open.
  napi_value out = Numbers(env, {static_cast<double>(h), static_cast<double>(mapped)});
  if (out == nullptr) {
    lsm_stream_close(h, &state.err);
    return nullptr;
  }
  state.streams.Add(h, fast);
  return out;
}

napi_value Close(const Call& info, State& state) {
  lsm_handle h = HandleArg(info);
  state.streams.Drop(info.Env(), h);  // before the engine frees its fast-path state
  if (lsm_stream_close(h, &state.err) < 0) return state.ThrowEngine(info.Env());
  return nullptr;
}

// writeString(handle, string): UTF-8 into the scratch buffer, then one engine call.
napi_value WriteString(const Call& info, State& state) {
  napi_env env = info.Env();
  size_t len = 0;
  if (!StringToScratch(env, info[1], state.scratch, &len)) {
    return state.Throw(env, ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE", "value must be a string");
  }
  int32_t rc = state.streams.Write(HandleArg(info), LSM_TYPE_STRING, state.scratch.data(), len, &state.err);
  state.scratch.Trim();
  if (rc < 0) return state.ThrowEngine(env);
  return nullptr;
}

// writeView(handle, view, typeBit): the engine copies straight from the view's memory.
napi_value WriteView(const Call& info, State& state) {
  napi_env env = info.Env();
  void* data = nullptr;
  size_t bytes = 0;
  if (!ViewArg(info, state, 1, "value", &data, &bytes)) return nullptr;
  uint32_t bit = U32Arg(env, info[2]);
  if (state.streams.Write(HandleArg(info), bit, data, bytes, &state.err) < 0) return state.ThrowEngine(env);
  return nullptr;
}

// A new value from the scratch buffer's first n bytes, by the type bits of flags; null when no
// type bit is set (nothing written yet).
napi_value ValueOfScratch(napi_env env, State& state, uint32_t flags, size_t n, napi_value* error) {
  napi_value out = nullptr;
  const char* what = "string";
  const char* data = state.scratch.data();
  if (flags & LSM_TYPE_STRING) {
    out = NewString(env, data, n);
  } else if (flags & LSM_TYPE_FLOAT) {
    out = NewTypedArray(env, napi_float32_array, sizeof(float), data, n), what = "Float32Array";
  } else if (flags & LSM_TYPE_DOUBLE) {
    out = NewTypedArray(env, napi_float64_array, sizeof(double), data, n), what = "Float64Array";
  } else if (flags & LSM_TYPE_BYTES) {
    out = NewBuffer(env, data, n), what = "Buffer";
  } else if (napi_get_null(env, &out) != napi_ok) {
    out = nullptr;
  }
  if (out == nullptr) *error = TooLargeForJs(env, state, static_cast<int64_t>(n), what);
  return out;
}

// The type bits of a flags byte.
constexpr uint32_t kTypeBits = LSM_TYPE_STRING | LSM_TYPE_FLOAT | LSM_TYPE_DOUBLE | LSM_TYPE_BYTES;

// A fresh Buffer (kind LSM_TYPE_BYTES) or typed array of n bytes that the payload is read into
// directly: made before the read, so that a value that cannot be made changes nothing. A large one
// is first asked of malloc (values.cc CanAllocate), so a payload too large for the memory left is
// ENOMEM, not V8's fatal out-of-memory; and it is not staged through the scratch buffer, which would need twice the
// payload's size. *again is set when a writer changed the payload's size, or (reading by the flags
// byte, `as` 0) its type, since the first read: the caller starts over.
napi_value ReadFresh(napi_env env, State& state, lsm_handle h, uint32_t type, uint32_t as, uint32_t kind, int64_t n,
                     bool* again, napi_value* error) {
  *again = false;
  size_t bytes = static_cast<size_t>(n);
  void* memory = nullptr;
  bool no_memory = false;
  napi_value out;
  const char* what;
  if (kind & LSM_TYPE_FLOAT) {
    out = NewTypedArrayFor(env, napi_float32_array, sizeof(float), bytes, &memory, &no_memory), what = "Float32Array";
  } else if (kind & LSM_TYPE_DOUBLE) {
    out = NewTypedArrayFor(env, napi_float64_array, sizeof(double), bytes, &memory, &no_memory), what = "Float64Array";
  } else {
    out = NewBufferFor(env, bytes, &memory, &no_memory), what = "Buffer";
  }
  if (no_memory) {
    *error = state.errors.Make(env, ErrorClass::kError, "ENOMEM",
                               "not enough memory for a " + std::string(what) + " of the payload's " +
                                   std::to_string(n) + " bytes");
    return nullptr;
  }
  if (out == nullptr) {
    *error = TooLargeForJs(env, state, n, what);
    return nullptr;
  }
  uint32_t flags = 0;
  int64_t got = state.streams.Read(h, type, memory, bytes, &flags, &state.err);
  if (got < 0) {
    *error = state.errors.FromEngine(env, state.err);
    return nullptr;
  }
  // The made value is left to the garbage collector when it has to be made again.
  *again = static_cast<size_t>(got) != bytes || (as == 0 && (flags & kTypeBits) != (kind & kTypeBits));
  return *again ? nullptr : out;
}

// Reads the payload (`type` places it in layout v0) and makes it a value of type `as`, or by the
// flags byte when `as` is 0: through the scratch buffer when it fits there or is a string, into a
// fresh value (ReadFresh) otherwise. When the value cannot be made, the reader state is put back
// as it was: the read then changed nothing, and *error says why.
napi_value ReadAs(napi_env env, State& state, lsm_handle h, uint32_t type, uint32_t as, napi_value* error) {
  StreamRoom::ReaderMark mark = state.streams.Mark(h);
  napi_value out = nullptr;
  for (bool again = true; again;) {
    again = false;
    uint32_t flags = 0;
    int64_t n = state.streams.Read(h, type, state.scratch.data(), state.scratch.size(), &flags, &state.err);
    if (n < 0) {
      *error = state.errors.FromEngine(env, state.err);
      break;
    }
    uint32_t kind = as != 0 ? as : flags;
    if (static_cast<uint64_t>(n) <= state.scratch.size()) {
      out = ValueOfScratch(env, state, kind, static_cast<size_t>(n), error);
    } else if (!(kind & LSM_TYPE_STRING) && (kind & kTypeBits)) {
      out = ReadFresh(env, state, h, type, as, kind, n, &again, error);
    } else {
      n = ReadToScratch(env, state, h, type, as, &flags, error);
      if (n >= 0) out = ValueOfScratch(env, state, as != 0 ? as : flags, static_cast<size_t>(n), error);
      state.scratch.Trim();
    }
  }
  if (out == nullptr) StreamRoom::Restore(mark);
  return out;
}

napi_value ReturnOrThrow(napi_env env, napi_value value, napi_value error) {
  return value != nullptr ? value : Errors::Throw(env, error);
}

napi_value ReadString(const Call& info, State& state) {
  napi_value error = nullptr;
  napi_value out = ReadAs(info.Env(), state, HandleArg(info), LSM_TYPE_STRING, LSM_TYPE_STRING, &error);
  return ReturnOrThrow(info.Env(), out, error);
}

// A new typed array holding a copy of the payload, floor(size / element) elements long.
napi_value ReadTyped(const Call& info, State& state, uint32_t type) {
  napi_value error = nullptr;
  napi_value out = ReadAs(info.Env(), state, HandleArg(info), type, type, &error);
  return ReturnOrThrow(info.Env(), out, error);
}

napi_value ReadFloatArray(const Call& info, State& state) {
  return ReadTyped(info, state, LSM_TYPE_FLOAT);
}

napi_value ReadDoubleArray(const Call& info, State& state) {
  return ReadTyped(info, state, LSM_TYPE_DOUBLE);
}

napi_value ReadFlags(const Call& info, State& state) {
  int32_t f = state.streams.Flags(HandleArg(info), &state.err);
  if (f < 0) return state.ThrowEngine(info.Env());
  return Number(info.Env(), f);
}

// read(handle): the value by the type bits of the flags byte, read together with it.
napi_value Read(const Call& info, State& state) {
  napi_value error = nullptr;
  napi_value out = ReadValue(info.Env(), state, HandleArg(info), &error);
  return ReturnOrThrow(info.Env(), out, error);
}

// readBuffer(handle): the payload's bytes, whatever its type, as a new Buffer.
napi_value ReadBuffer(const Call& info, State& state) {
  napi_value error = nullptr;
  napi_value out = ReadAs(info.Env(), state, HandleArg(info), 0, LSM_TYPE_BYTES, &error);
  return ReturnOrThrow(info.Env(), out, error);
}

// readInto(handle, view, elementSize) -> payload bytes. The engine copies straight into the view,
// from where the flags byte says the payload is, only the payload's whole elements: a partial one
// at its end leaves the view's element as it was. A payload larger than the view is a RangeError
// and nothing is copied (nor marked as read).
napi_value ReadInto(const Call& info, State& state) {
  napi_env env = info.Env();
  void* data = nullptr;
  size_t bytes = 0;
  if (!ViewArg(info, state, 1, "target", &data, &bytes)) return nullptr;
  uint32_t unit = U32Arg(env, info[2]);
  if (unit == 0 || unit > 8 || (unit & (unit - 1)) != 0) unit = 1;  // the engine wants a power of two
  uint32_t flags = 0;
  int64_t n = state.streams.ReadWhole(HandleArg(info), 0, data, bytes, unit, &flags, &state.err);
  if (n < 0) return state.ThrowEngine(env);
  if (static_cast<uint64_t>(n) > bytes) {
    return state.Throw(env, ErrorClass::kRangeError, "ERR_SHM_TOO_LARGE",
                       "target is too small: the payload is " + std::to_string(n) + " bytes and the target holds " +
                           std::to_string(bytes));
  }
  return Number(env, static_cast<double>(n));
}

// readTyped(handle, scratch, typeBit, elementSize) -> payload bytes, or a new typed array. A small
// payload of a typed read (`typeBit` places it in layout v0) is copied into the caller's scratch
// view, whole elements only, and its size returned: JavaScript slices the value off the view, which
// V8 does with a typed array kept in its heap, several times faster than N-API makes an
// ArrayBuffer. A payload larger than the view is read into a new array here, as readFloatArray()
// makes it; the look that found it too large copied nothing and counted as no read.
napi_value ReadTypedSmall(const Call& info, State& state) {
  napi_env env = info.Env();
  void* data = nullptr;
  size_t bytes = 0;
  if (!ViewArg(info, state, 1, "scratch", &data, &bytes)) return nullptr;
  lsm_handle h = HandleArg(info);
  uint32_t type = U32Arg(env, info[2]);
  uint32_t unit = type & LSM_TYPE_DOUBLE ? sizeof(double) : sizeof(float);
  uint32_t flags = 0;
  int64_t n = state.streams.ReadWhole(h, type, data, bytes, unit, &flags, &state.err);
  if (n < 0) return state.ThrowEngine(env);
  if (static_cast<uint64_t>(n) <= bytes) return Number(env, static_cast<double>(n));
  napi_value error = nullptr;
  napi_value out = ReadAs(env, state, h, type, type, &error);
  return ReturnOrThrow(env, out, error);
}

// query(handle, what) -> number (LSM_QUERY_* in goshm.h)
napi_value Query(const Call& info, State& state) {
  int32_t q = I32Arg(info.Env(), info[1], -1);  // not a number: an unknown query, which the engine refuses
  lsm_handle h = HandleArg(info);
  int64_t v = lsm_stream_query(h, q, &state.err);
  state.streams.Sync(h);
  if (v < 0) return state.ThrowEngine(info.Env());
  return Number(info.Env(), static_cast<double>(v));
}

// breakLock(handle, force) -> the lock word broken, 0 when the lock was free.
napi_value BreakLock(const Call& info, State& state) {
  int64_t v = lsm_stream_break_lock(HandleArg(info), BoolArg(info.Env(), info[1]) ? 1 : 0, &state.err);
  if (v < 0) return state.ThrowEngine(info.Env());
  return Number(info.Env(), static_cast<double>(v));
}

// staleLock(handle, ms): the stale-lock rule, 0 off.
napi_value StaleLock(const Call& info, State& state) {
  if (lsm_stream_stale_lock(HandleArg(info), U32Arg(info.Env(), info[1]), &state.err) < 0) {
    return state.ThrowEngine(info.Env());
  }
  return nullptr;
}

// streamReattach(handle, pollMs, size, cell): the reader follows its name (lsm_stream_reattach)
// and shows its generation and mapped size in cell, a Uint32Array of 2 (StreamRoom::SetCell).
napi_value Reattach(const Call& info, State& state) {
  napi_env env = info.Env();
  lsm_handle h = HandleArg(info);
  uint32_t* cell = U32CellArg(env, info[3], 2);
  if (cell == nullptr) {
    return state.Throw(env, ErrorClass::kTypeError, "ERR_INVALID_ARG_TYPE", "cell must be a Uint32Array of 2");
  }
  if (lsm_stream_reattach(h, U32Arg(env, info[1]), U64Arg(env, info[2]), &state.err) < 0) return state.ThrowEngine(env);
  napi_ref ref = nullptr;
  if (napi_create_reference(env, info[3], 1, &ref) != napi_ok) return nullptr;
  state.streams.SetCell(env, h, cell, ref);
  return nullptr;
}

napi_value Unlink(const Call& info, State& state) {
  std::string name;
  StringArg(info.Env(), info[0], &name);
  if (lsm_unlink(const_cast<char*>(name.data()), name.size(), &state.err) < 0) return state.ThrowEngine(info.Env());
  return nullptr;
}

}  // namespace

napi_value ReadValue(napi_env env, State& state, lsm_handle h, napi_value* error) {
  return ReadAs(env, state, h, 0, 0, error);
}

void RegisterStreams(Methods& methods) {
  methods.Add({
      {"streamOpen", Bind<Open>},
      {"streamClose", Bind<Close>},
      {"writeString", Bind<WriteString>},
      {"writeView", Bind<WriteView>},
      {"readString", Bind<ReadString>},
      {"readFloatArray", Bind<ReadFloatArray>},
      {"readDoubleArray", Bind<ReadDoubleArray>},
      {"readFlags", Bind<ReadFlags>},
      {"read", Bind<Read>},
      {"readBuffer", Bind<ReadBuffer>},
      {"readInto", Bind<ReadInto>},
      {"readTyped", Bind<ReadTypedSmall>},
      {"query", Bind<Query>},
      {"streamBreakLock", Bind<BreakLock>},
      {"streamStaleLock", Bind<StaleLock>},
      {"streamReattach", Bind<Reattach>},
      {"unlink", Bind<Unlink>},
  });
}

}  // namespace lsm
