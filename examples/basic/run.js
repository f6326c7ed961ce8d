// The basic example (npm run example): the snippet of the original README in one process, then a
// writer process and a reader process exchanging a string, a Float32Array and a Float64Array.
'use strict';
const { fork } = require('child_process');
const path = require('path');
const {
  NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, unlink,
  kMemoryChanged, kMemoryTypeString, kMemoryTypeFloat, kMemoryTypeDouble,
} = require('../..');

function typeOf(flags) {
  if (flags & kMemoryTypeString) return 'string';
  if (flags & kMemoryTypeFloat) return 'Float32Array';
  if (flags & kMemoryTypeDouble) return 'Float64Array';
  return 'nothing';
}

// 1. In one process, as in the original README (default name, 65535 bytes, persistent).
{
  const writer = new NodeSharedMemoryWriteStream();
  const reader = new NodeSharedMemoryReadStream();
  writer.writeString('Hello from node-libsharedmemory');
  console.log(`[in-process] readString(): ${JSON.stringify(reader.readString())}, flags 0b${reader.readFlags().toString(2)}`);
  writer.writeFloatArray(new Float32Array([1.5, 2.5, 3.5]));
  console.log(`[in-process] readFloatArray(): ${Array.from(reader.readFloatArray()).join(', ')}`);
  reader.close();
  writer.close();
  unlink(writer.name); // persistent segments outlive their streams; this example tidies up
}

// 2. Across processes: the writer is a child process; this process reads what it writes.
const name = `node-libsharedmemory-example-${process.pid}`;
const child = fork(path.join(__dirname, 'writer.js'), [name]);
let reader;
let lastFlags = 0;

child.on('message', (msg) => {
  if (msg === 'ready') {
    reader = new NodeSharedMemoryReadStream(name); // no size: maps the segment's real size
    console.log(`[reader ${process.pid}] opened ${JSON.stringify(name)}, ${reader.size} bytes`);
  } else if (msg === 'written') {
    const flags = reader.readFlags();
    if ((flags & kMemoryChanged) === (lastFlags & kMemoryChanged)) throw new Error('kMemoryChanged did not toggle');
    lastFlags = flags;
    const type = typeOf(flags);
    const value = type === 'string' ? JSON.stringify(reader.readString())
      : type === 'Float32Array' ? Array.from(reader.readFloatArray()).join(', ')
        : Array.from(reader.readDoubleArray()).join(', ');
    console.log(`[reader ${process.pid}] got a ${type}: ${value}`);
  }
  child.send('next');
});

child.on('exit', (code) => {
  reader.close();
  unlink(name);
  console.log(code === 0 ? 'example finished: both processes agreed on every value' : `writer exited with ${code}`);
  process.exitCode = code;
});
