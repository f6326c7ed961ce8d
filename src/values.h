// Conversions between JavaScript values and the bytes the engine reads and writes, with every
// N-API status checked: a value V8 cannot hold (a string past its length limit, an ArrayBuffer
// that cannot be allocated) is an error for the caller, never a crash.
#ifndef LSM_VALUES_H
#define LSM_VALUES_H

#include <napi.h>

#include <climits>
#include <cstring>
#include <initializer_list>
#include <string>

#include "scratch.h"

namespace lsm {

// ---- arguments --------------------------------------------------------------------------------
// lib/ has checked every argument; these are the cheap guards behind it. A value of another type
// reads as the fallback (0, false, ""), which the engine refuses where it matters.
uint32_t U32Arg(napi_env env, napi_value v, uint32_t fallback = 0);
int32_t I32Arg(napi_env env, napi_value v, int32_t fallback = 0);
uint64_t U64Arg(napi_env env, napi_value v);  // a non-negative integer below 2^53
bool BoolArg(napi_env env, napi_value v);     // true only for true (no coercion: it may run JS)
// The UTF-8 bytes of a string argument; false for anything else.
bool StringArg(napi_env env, napi_value v, std::string* out);
// The elements of a Uint32Array of at least `length` (a cell JavaScript and the addon share);
// nullptr for anything else.
uint32_t* U32CellArg(napi_env env, napi_value v, size_t length);

// ---- results ----------------------------------------------------------------------------------
// nullptr when V8 cannot make the value: only while the environment is going away (or out of
// memory), when the caller has nobody to return it to and just returns.
napi_value Undefined(napi_env env);
napi_value Number(napi_env env, double v);
napi_value Boolean(napi_env env, bool v);
// An array of numbers, e.g. [handle, bytes mapped].
napi_value Numbers(napi_env env, std::initializer_list<double> values);

// The bytes of any ArrayBufferView (typed array, Buffer or DataView).
bool ViewBytes(napi_env env, napi_value view, void** data, size_t* bytes);

// Encodes a string as UTF-8 into the scratch buffer; false when value is no string or memory is
// short.
bool StringToScratch(napi_env env, napi_value value, Scratch& scratch, size_t* len);

// A new string / Buffer / typed array holding a copy of n bytes; nullptr when V8 refuses it (a
// pending exception, if any, is cleared so the caller can throw its own).
// Node-API makes no string of more UTF-8 bytes than this, whatever V8's own limit (which is lower
// today): a longer payload is refused before it is read.
constexpr uint64_t kMaxStringBytes = INT_MAX;
napi_value NewString(napi_env env, const char* data, size_t n);
napi_value NewBuffer(napi_env env, const char* data, size_t n);
// A new Buffer of n bytes for the caller to fill (*data points at them). A large one is first asked
// of malloc (values.cc CanAllocate), so that running out is *no_memory (ENOMEM for the caller)
// rather than V8's fatal error.
napi_value NewBufferFor(napi_env env, size_t n, void** data, bool* no_memory);
// A typed array of floor(bytes / element) elements over a buffer of `bytes` bytes for the caller
// to fill (*data points at them); memory as for NewBufferFor.
napi_value NewTypedArrayFor(napi_env env, napi_typedarray_type type, size_t element, size_t bytes, void** data,
                            bool* no_memory);
// A typed array of floor(bytes / element) elements holding a copy of data (a small payload).
napi_value NewTypedArray(napi_env env, napi_typedarray_type type, size_t element, const char* data,
                         size_t bytes);

}  // namespace lsm

#endif
