// Conversions between JavaScript values and the bytes the engine reads and writes, with every
// N-API status checked: a value V8 cannot hold (a string past its length limit, an ArrayBuffer
// that cannot be allocated) is an error for the caller, never a crash.
#ifndef LSM_VALUES_H
#define LSM_VALUES_H

#include <napi.h>

#include <cstring>

#include "scratch.h"

namespace lsm {

// The bytes of any ArrayBufferView (typed array, Buffer or DataView).
bool ViewBytes(napi_env env, napi_value view, void** data, size_t* bytes);

// Encodes a string as UTF-8 into the scratch buffer; false when value is no string or memory is
// short.
bool StringToScratch(napi_env env, napi_value value, Scratch& scratch, size_t* len);

// A new string / Buffer / typed array holding a copy of n bytes; nullptr when V8 refuses it (a
// pending exception, if any, is cleared so the caller can throw its own).
napi_value NewString(napi_env env, const char* data, size_t n);
napi_value NewBuffer(napi_env env, const char* data, size_t n);
// A typed array of floor(bytes / element) elements holding a copy of data; when data is nullptr,
// the caller fills its buffer (bytes long), which *out_data points at.
napi_value NewTypedArray(napi_env env, napi_typedarray_type type, size_t element, const char* data,
                         size_t bytes, void** out_data = nullptr);

}  // namespace lsm

#endif
