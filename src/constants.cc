// native.constants: the facts of goshm.h that JavaScript needs, handed over as numbers (like Node's
// fs.constants), so lib/ spells none of them itself.
#include <vector>

#include "state.h"
#include "values.h"

namespace lsm {

bool RegisterConstants(napi_env env, Methods& methods) {
  // Defined in one go, then frozen, with N-API directly: these calls fail only when the
  // environment is going away during require(), and must not abort the process then (state.h).
  std::vector<napi_property_descriptor> props;
  bool ok = true;
  auto set = [&](const char* name, double value) {
    napi_value v = Number(env, value);
    ok = ok && v != nullptr;
    props.push_back({name, nullptr, nullptr, nullptr, nullptr, v, napi_enumerable, nullptr});
  };
  set("FLAG_CHANGED", LSM_FLAG_CHANGED);
  set("TYPE_STRING", LSM_TYPE_STRING);
  set("TYPE_FLOAT", LSM_TYPE_FLOAT);
  set("TYPE_DOUBLE", LSM_TYPE_DOUBLE);
  set("TYPE_BYTES", LSM_TYPE_BYTES);
  set("LAYOUT_V0", LSM_LAYOUT_V0);
  set("LAYOUT_V1", LSM_LAYOUT_V1);
  set("LAYOUT_V2", LSM_LAYOUT_V2);
  set("V2_DATA", LSM_V2_DATA);
  set("V1_DATA", LSM_V1_DATA);
  set("QUEUE_HEADER_V2", LSM_QUEUE_HEADER_V2);
  set("QUEUE_HEADER_V1", LSM_QUEUE_HEADER_V1);
  set("QUEUE_SLOT_HEAD", LSM_QUEUE_SLOT_HEAD);
  set("MAX_NAME_BYTES", LSM_MAX_NAME_BYTES);
  set("MAX_SIZE", LSM_MAX_SIZE);
  set("OPEN_CREATE", LSM_OPEN_CREATE);
  set("OPEN_UNLINK", LSM_OPEN_UNLINK);
  set("OPEN_READONLY", LSM_OPEN_READONLY);
  set("OPEN_ALLOW_FOREIGN", LSM_OPEN_ALLOW_FOREIGN);
  set("OPEN_RESET", LSM_OPEN_RESET);
  set("FIELD_REVISION", LSM_FIELD_REVISION);
  set("FIELD_ACK", LSM_FIELD_ACK);
  set("QUERY_REVISION", LSM_QUERY_REVISION);
  set("QUERY_ACK", LSM_QUERY_ACK);
  set("QUERY_HAS_NEW_DATA", LSM_QUERY_HAS_NEW_DATA);
  set("QUERY_MARK_AS_READ", LSM_QUERY_MARK_AS_READ);
  set("QUERY_IS_MESSAGE_READ", LSM_QUERY_IS_MESSAGE_READ);
  set("QUERY_SEEN", LSM_QUERY_SEEN);
  set("KIND_OS", LSM_KIND_OS);
  set("KIND_ARG", LSM_KIND_ARG);
  set("KIND_TOO_LARGE", LSM_KIND_TOO_LARGE);
  set("KIND_LAYOUT", LSM_KIND_LAYOUT);
  set("KIND_SIZE", LSM_KIND_SIZE);
  set("KIND_CLOSED", LSM_KIND_CLOSED);
  set("KIND_LOCK_TIMEOUT", LSM_KIND_LOCK_TIMEOUT);
  set("KIND_FAULT", LSM_KIND_FAULT);
  set("KIND_INTERNAL", LSM_KIND_INTERNAL);
  set("KIND_UNSUPPORTED", LSM_KIND_UNSUPPORTED);
  set("KIND_LOCK_HELD", LSM_KIND_LOCK_HELD);
  set("QUERY_LOCK_BROKEN", LSM_QUERY_LOCK_BROKEN);
  set("LOCK_PRODUCER", LSM_LOCK_PRODUCER);
  set("LOCK_CONSUMER", LSM_LOCK_CONSUMER);
  set("V2_LOCK", LSM_V2_LOCK);
  set("SHAPE_UNKNOWN", LSM_SHAPE_UNKNOWN);
  set("SHAPE_BLANK", LSM_SHAPE_BLANK);
  set("SHAPE_STREAM", LSM_SHAPE_STREAM);
  set("SHAPE_QUEUE", LSM_SHAPE_QUEUE);
  set("TRI_UNKNOWN", LSM_TRI_UNKNOWN);
  set("TRI_YES", LSM_TRI_YES);
  napi_value c;
  if (!ok || napi_create_object(env, &c) != napi_ok || napi_define_properties(env, c, props.size(), props.data()) != napi_ok ||
      napi_object_freeze(env, c) != napi_ok) {
    return false;
  }
  methods.Add("constants", c);
  return true;
}

}  // namespace lsm
