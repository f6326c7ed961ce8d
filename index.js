// node-libsharedmemory: named OS shared memory for Node.js, byte-compatible with libsharedmemory.
// The public API, as index.d.ts declares it; the classes live in lib/, one concern a file.
'use strict';
const { constants } = require('./lib/native');
const { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, unlink, DEFAULT_NAME, DEFAULT_SIZE } = require('./lib/stream');
const { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_POLL_INTERVAL_MS } = require('./lib/validate');
const { SharedMemory } = require('./lib/segment');
const { NodeSharedMemoryQueue } = require('./lib/queue');
const { inspect, list } = require('./lib/inspect');

require('./lib/signals').watchSignalListeners();

module.exports = {
  NodeSharedMemoryWriteStream,
  NodeSharedMemoryReadStream,
  unlink,
  // The flags byte's bits, as the engine defines them (goshm.h).
  kMemoryChanged: constants.FLAG_CHANGED,
  kMemoryTypeString: constants.TYPE_STRING,
  kMemoryTypeFloat: constants.TYPE_FLOAT,
  kMemoryTypeDouble: constants.TYPE_DOUBLE,
  // Added by this project: raw bytes (writeBuffer). C++ readers see them through readString.
  kMemoryTypeBuffer: constants.TYPE_BYTES,
  DEFAULT_NAME,
  DEFAULT_SIZE,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  SharedMemory,
  NodeSharedMemoryQueue,
  inspect,
  list,
};
