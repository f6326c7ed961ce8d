// The writer process of the basic example: creates a segment, writes a string, a Float32Array and
// a Float64Array in turn, and waits for the reader (its parent) to confirm each before the next.
'use strict';
const { NodeSharedMemoryWriteStream } = require('../..');

const name = process.argv[2];
const writer = new NodeSharedMemoryWriteStream(name, 4096, true);

const steps = [
  () => writer.writeString('Grüße aus einem anderen Prozess 👋'),
  () => writer.writeFloatArray(new Float32Array([3.234, 4.2222, 5.6667])),
  () => writer.writeDoubleArray(new Float64Array([Math.PI, Math.E, Number.MAX_SAFE_INTEGER])),
];

process.on('message', (msg) => {
  if (msg === 'next' && steps.length > 0) {
    steps.shift()();
    console.log(`[writer ${process.pid}] wrote, flags are now 0b${writer.readFlags().toString(2).padStart(4, '0')}`);
    process.send('written');
  } else {
    writer.close();
    process.disconnect();
  }
});
process.send('ready');
