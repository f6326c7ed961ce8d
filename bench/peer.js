// The other end of the benchmark's cross-process and cross-thread cases. Forked as a child process
// (child_process IPC, Unix socket, shared-memory ping-pong, queue producer) or started as a worker (worker_threads
// postMessage). The parent steers it with control objects {ctl: ...}; anything else is a payload.
'use strict';
const net = require('net');
const { isMainThread, parentPort } = require('worker_threads');

// Replies go back the way commands came: parentPort in a worker, process.send in a child.
const port = isMainThread ? process : parentPort;
const reply = isMainThread ? (m) => process.send(m) : (m) => parentPort.postMessage(m);

// What to do with a payload message: 'sink' counts and acknowledges every `every` messages
// (message-rate cases), 'echo' sends it straight back (round-trip cases).
let mode = 'sink';
let every = 1;
let received = 0;

let socket = null; // Unix domain socket to the parent, once connected
let socketMode = 'sink';
let socketEvery = 1; // bytes between two one-byte acknowledgements in socket sink mode
let socketCount = 0;
const ACK = Buffer.from('a');

function onSocketData(chunk) {
  if (socketMode === 'echo') {
    socket.write(chunk);
    return;
  }
  socketCount += chunk.length;
  while (socketCount >= socketEvery) {
    socketCount -= socketEvery;
    socket.write(ACK);
  }
}

// Answers `count` messages of the shared-memory ping-pong: spin on the input segment's flags
// byte until kMemoryChanged toggles, read the payload, write it to the output segment. The loop
// blocks this process's event loop on purpose (that is the polling being measured); it gives up
// after a deadline so a parent that died cannot leave it spinning.
function shmPingPong({ input, output, size, count, deadlineMs }) {
  const lib = require('..');
  const out = new lib.NodeSharedMemoryWriteStream(output, size, false);
  const inp = new lib.NodeSharedMemoryReadStream(input);
  try {
    let seen = inp.readFlags() & lib.kMemoryChanged;
    reply({ ready: true });
    const deadline = Date.now() + deadlineMs;
    for (let i = 0; i < count; i++) {
      let spins = 0;
      for (;;) {
        const f = inp.readFlags() & lib.kMemoryChanged;
        if (f !== seen) {
          seen = f;
          break;
        }
        if (++spins === 1 << 16) {
          spins = 0;
          if (Date.now() > deadline) throw new Error(`ping-pong peer: no message ${i} of ${count} before the deadline`);
        }
      }
      out.writeString(inp.readString());
    }
  } finally {
    inp.close();
    out.close();
  }
}

// Answers `count` messages of the change-event ping-pong: each 'change' event of the input
// segment is written back to the output segment. The event loop stays free, as in an application
// that listens instead of polling.
function shmEventPingPong({ input, output, size, count }) {
  const lib = require('..');
  const out = new lib.NodeSharedMemoryWriteStream(output, size, false);
  const inp = new lib.NodeSharedMemoryReadStream(input);
  let answered = 0;
  // Closing from inside the stream's own listener is left to the next turn of the loop.
  const finish = (msg) => setImmediate(() => {
    inp.close();
    out.close();
    reply(msg);
  });
  inp.on('error', (err) => finish({ error: err.stack || String(err) }));
  inp.on('change', (value) => {
    out.writeString(value);
    if (++answered === count) finish({ done: true });
  });
  // The watcher's baseline is taken inside on(): any write after this reply is reported.
  reply({ ready: true });
}

// Produces `count` messages into the queue `name` (made by the parent, which consumes them) as
// fast as it can, spinning while the queue is full; gives up after a deadline, as shmPingPong.
function queueProduce({ name, message, count, deadlineMs }) {
  const lib = require('..');
  const q = new lib.NodeSharedMemoryQueue(name, undefined, undefined, true, false, { reattach: false });
  try {
    reply({ ready: true });
    const deadline = Date.now() + deadlineMs;
    let spins = 0;
    for (let i = 0; i < count;) {
      if (q.enqueue(message)) {
        i++;
      } else if (++spins === 1 << 16) {
        spins = 0;
        if (Date.now() > deadline) throw new Error(`queue producer: message ${i} of ${count} not taken before the deadline`);
      }
    }
  } finally {
    q.close();
  }
}

function control(m) {
  switch (m.ctl) {
    case 'sink':
      mode = 'sink';
      every = m.every;
      received = 0;
      return reply({ ok: true });
    case 'echo':
      mode = 'echo';
      return reply({ ok: true });
    case 'connect':
      socket = net.connect(m.path, () => reply({ ok: true }));
      socket.setNoDelay(true);
      socket.on('data', onSocketData);
      socket.on('error', (err) => reply({ error: err.message }));
      return undefined;
    case 'socket':
      socketMode = m.mode;
      socketEvery = m.every || 1;
      socketCount = 0;
      return reply({ ok: true });
    case 'shm-pingpong':
      try {
        shmPingPong(m);
        return reply({ done: true });
      } catch (err) {
        return reply({ error: err.stack || String(err) });
      }
    case 'shm-event-pingpong':
      try {
        return shmEventPingPong(m);
      } catch (err) {
        return reply({ error: err.stack || String(err) });
      }
    case 'queue-produce':
      try {
        queueProduce(m);
        return reply({ done: true });
      } catch (err) {
        return reply({ error: err.stack || String(err) });
      }
    case 'exit':
      if (socket) socket.destroy();
      if (isMainThread) process.disconnect();
      else parentPort.close();
      return undefined;
    default:
      return reply({ error: `unknown control ${m.ctl}` });
  }
}

port.on('message', (m) => {
  if (m !== null && typeof m === 'object' && typeof m.ctl === 'string') {
    control(m);
  } else if (mode === 'echo') {
    reply(m);
  } else if (++received === every) {
    received = 0;
    reply(0);
  }
});

// A child whose parent vanished (killed mid-run) ends instead of lingering.
if (isMainThread) process.on('disconnect', () => process.exit(0));
