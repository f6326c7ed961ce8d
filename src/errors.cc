// Building and throwing errors (errors.h).
#include "errors.h"

#include <string>

namespace lsm {

namespace {

const char* ClassName(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::kTypeError: return "TypeError";
    case ErrorClass::kRangeError: return "RangeError";
    default: return "Error";
  }
}

// (napi_get_undefined and napi_is_exception_pending cannot fail for a live environment, the only
// kind a callback runs in.)
napi_value StringOrUndefined(napi_env env, const char* s) {
  napi_value v = nullptr;
  if (s == nullptr || s[0] == '\0' || napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) {
    napi_get_undefined(env, &v);
  }
  return v;
}

// Without the factory (not set yet, or it threw): the same shape, built here.
napi_value Fallback(napi_env env, ErrorClass cls, napi_value code, napi_value message, napi_value segment,
                    napi_value errnum, napi_value syscall) {
  napi_value error = nullptr;
  napi_status st = cls == ErrorClass::kTypeError    ? napi_create_type_error(env, code, message, &error)
                   : cls == ErrorClass::kRangeError ? napi_create_range_error(env, code, message, &error)
                                                    : napi_create_error(env, code, message, &error);
  if (st != napi_ok) return nullptr;
  napi_valuetype type;
  // Setting a property fails only while the environment is terminating, when nobody will see the
  // error anyway; the .code, given at creation, is there regardless.
  if (napi_typeof(env, segment, &type) == napi_ok && type != napi_undefined) {
    napi_set_named_property(env, error, "segment", segment);
  }
  if (napi_typeof(env, errnum, &type) == napi_ok && type != napi_undefined) {
    napi_set_named_property(env, error, "errno", errnum);
    napi_set_named_property(env, error, "syscall", syscall);
  }
  return error;
}

}  // namespace

bool Errors::SetFactory(napi_env env, napi_value factory) {
  napi_ref ref;
  if (napi_create_reference(env, factory, 1, &ref) != napi_ok) return false;
  if (factory_ != nullptr) napi_delete_reference(env_, factory_);
  env_ = env;
  factory_ = ref;
  return true;
}

napi_value Errors::Make(napi_env env, ErrorClass cls, const char* code, const std::string& message,
                        const char* segment, int32_t errnum, const char* syscall) {
  // Every argument starts as undefined, so one that cannot be made is passed as undefined rather
  // than as garbage.
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_value args[6] = {undefined, undefined, undefined, undefined, undefined, undefined};
  args[0] = StringOrUndefined(env, ClassName(cls));
  args[1] = StringOrUndefined(env, code);
  if (napi_create_string_utf8(env, message.data(), message.size(), &args[2]) != napi_ok) {
    args[2] = StringOrUndefined(env, "error");
  }
  args[3] = StringOrUndefined(env, segment);
  if (syscall != nullptr) {
    if (napi_create_int32(env, -errnum, &args[4]) != napi_ok) args[4] = undefined;  // negative, as Node's own fs errors have
    args[5] = StringOrUndefined(env, syscall);
  }
  napi_value error = nullptr;
  napi_value factory = nullptr;
  if (factory_ != nullptr && napi_get_reference_value(env, factory_, &factory) == napi_ok && factory != nullptr) {
    if (napi_call_function(env, undefined, factory, 6, args, &error) != napi_ok) {
      error = nullptr;
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {  // what the factory threw is not the error we report
        napi_value ignored;
        napi_get_and_clear_last_exception(env, &ignored);
      }
    }
  }
  if (error == nullptr) error = Fallback(env, cls, args[1], args[2], args[3], args[4], args[5]);
  if (error == nullptr) error = undefined;
  return error;
}

napi_value Errors::FromEngine(napi_env env, const lsm_error& err) {
  ErrorClass cls = (err.kind == LSM_KIND_ARG || err.kind == LSM_KIND_TOO_LARGE) ? ErrorClass::kRangeError
                                                                               : ErrorClass::kError;
  return Make(env, cls, err.code, err.message, err.segment, err.errnum,
              err.kind == LSM_KIND_OS ? err.syscall : nullptr);
}

napi_value Errors::Throw(napi_env env, napi_value error) {
  // napi_throw fails only when the environment is going away (a worker being terminated): there
  // is nobody left to throw to, and aborting the process over it would be worse.
  napi_throw(env, error);
  return nullptr;
}

}  // namespace lsm
