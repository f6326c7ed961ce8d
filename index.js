// node-libsharedmemory: named OS shared memory for Node.js, byte-compatible with libsharedmemory.
'use strict';
module.exports = {
  ...require('./lib/stream'),
  ...require('./lib/segment'),
  ...require('./lib/queue'),
};
