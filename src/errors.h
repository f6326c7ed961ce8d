// The one way the addon builds a JavaScript error. JavaScript hands it a factory once
// (setErrorFactory, lib/errors.js), so an error thrown here has the same shape as one thrown in
// JavaScript: a .code always, .errno and .syscall for OS errors, .segment when one is concerned.
#ifndef LSM_ERRORS_H
#define LSM_ERRORS_H

#include <napi.h>

#include "goshm.h"

namespace lsm {

enum class ErrorClass { kError, kTypeError, kRangeError };

class Errors {
 public:
  Errors() = default;
  Errors(const Errors&) = delete;
  Errors& operator=(const Errors&) = delete;
  // Deleting a reference runs no JavaScript, so it is fine from the environment's teardown.
  ~Errors() {
    if (factory_ != nullptr) napi_delete_reference(env_, factory_);
  }

  // False (and the factory as it was) when no reference can be made to it.
  bool SetFactory(napi_env env, napi_value factory);

  // A new error object (not thrown). Never fails: without a usable factory it builds the error
  // itself, and it returns undefined only when the environment can no longer run JavaScript.
  napi_value Make(napi_env env, ErrorClass cls, const char* code, const std::string& message,
                  const char* segment = nullptr, int32_t errnum = 0, const char* syscall = nullptr);
  // The error an engine call filled in.
  napi_value FromEngine(napi_env env, const lsm_error& err);

  // Throws and returns nullptr (undefined), for `return errors.Throw(...)` from a method.
  static napi_value Throw(napi_env env, napi_value error);

 private:
  napi_env env_ = nullptr;
  napi_ref factory_ = nullptr;
};

}  // namespace lsm

#endif
