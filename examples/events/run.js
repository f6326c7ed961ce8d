// Change events (layout v2): a child process writes prices; this process reacts to each 'change'
// without polling, acknowledges with markAsRead(), and the writer waits for that with waitForRead().
'use strict';
const { fork } = require('child_process');
const { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream } = require('../..');

const name = process.argv[3] || `node-libsharedmemory-events-${process.pid}`;

if (process.argv[2] === 'writer') {
  const writer = new NodeSharedMemoryWriteStream(name, 4096, false);
  process.send('ready');
  (async () => {
    for (const price of ['101.25', '101.50', '100.75', 'done']) {
      writer.writeString(price);
      await writer.waitForRead({ timeout: 5000 }); // until the reader has marked it read
      console.log(`[writer] ${price} was read`);
    }
    writer.close();
  })();
} else {
  const child = fork(__filename, ['writer', name]);
  child.once('message', async () => {
    const reader = new NodeSharedMemoryReadStream(name);
    if (reader.hasNewData()) {
      console.log(`[reader] first price ${reader.readString()}`);
      reader.markAsRead();
    }
    for await (const price of reader) { // each new value, event-driven
      console.log(`[reader] change: ${price} (revision ${reader.revision})`);
      reader.markAsRead();
      if (price === 'done') break;
    }
    reader.close();
  });
  child.on('exit', (code) => { process.exitCode = code; });
}
