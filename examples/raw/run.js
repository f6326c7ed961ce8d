// Raw segments: a child process fills a zero-copy view of the mapping; this process sees the bytes
// in its own view without any read call, then copies some out with read().
'use strict';
const { fork } = require('child_process');
const { SharedMemory } = require('../..');

const name = process.argv[3] || `node-libsharedmemory-raw-${process.pid}`;

if (process.argv[2] === 'child') {
  const shm = SharedMemory.open(name);
  const pixels = new Uint32Array(shm.buffer);
  pixels.fill(0xff00ff00);
  shm.close();
  process.send('filled');
} else {
  const shm = SharedMemory.create(name, 1 << 16, { persistent: false });
  const pixels = new Uint32Array(shm.buffer);
  fork(__filename, ['child', name]).once('message', () => {
    console.log(`[parent] first pixel 0x${pixels[0].toString(16)}, last 0x${pixels[pixels.length - 1].toString(16)}`);
    console.log(`[parent] read(0, 8): ${shm.read(0, 8).toString('hex')}`);
    shm.close(); // detaches shm.buffer and every view on it; removes the segment
    console.log(`[parent] after close the view has ${pixels.length} elements`);
  });
}
