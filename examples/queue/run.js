// The queue: two producer processes and this process as the consumer, every message exactly once.
'use strict';
const { fork } = require('child_process');
const { NodeSharedMemoryQueue } = require('../..');

const name = process.argv[3] || `node-libsharedmemory-queue-${process.pid}`;
const PER_PRODUCER = 1000;

if (process.argv[2] === 'producer') {
  const id = process.argv[4];
  const queue = new NodeSharedMemoryQueue(name, undefined, undefined, true, false); // open the existing queue
  (async () => {
    for (let i = 0; i < PER_PRODUCER; i++) await queue.enqueueWait(`${id}:${i}`, { timeout: 5000 });
    queue.close();
  })();
} else {
  // capacity 16 slots of at most 64 bytes; removed when closed
  const queue = new NodeSharedMemoryQueue(name, 16, 64, false, true);
  const producers = ['a', 'b'].map((id) => fork(__filename, ['producer', name, id]));
  const seen = new Set();
  (async () => {
    for await (const message of queue) {
      if (seen.has(message)) throw new Error(`duplicate ${message}`);
      seen.add(message);
      if (seen.size === PER_PRODUCER * producers.length) break;
    }
    console.log(`[consumer] received ${seen.size} messages from ${producers.length} producers, each exactly once`);
    queue.close();
  })().catch((err) => {
    console.error(err);
    process.exitCode = 1;
    producers.forEach((p) => p.kill());
  });
}
