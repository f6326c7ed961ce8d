// The ES module entry (exports "import"): the CommonJS module's exports as named exports, so both
// module systems share one addon instance and one set of classes.
import api from './index.js';

export const {
  NodeSharedMemoryWriteStream,
  NodeSharedMemoryReadStream,
  unlink,
  kMemoryChanged,
  kMemoryTypeString,
  kMemoryTypeFloat,
  kMemoryTypeDouble,
  kMemoryTypeBuffer,
  DEFAULT_NAME,
  DEFAULT_SIZE,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  SharedMemory,
  NodeSharedMemoryQueue,
  inspect,
  list,
} = api;
export default api;
