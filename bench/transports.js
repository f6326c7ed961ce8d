// The baselines' channels, seen from the parent: child_process IPC, worker_threads postMessage and
// a Unix domain socket, each to a bench/peer.js. Each offers the same two measurements, so a case
// compares like with like:
//   rate(payload, budget)  messages sent one way, pipelined, with a window of acknowledgements;
//   echo(payload, budget)  round trips, one message in flight, each timed.
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const { now } = require('./harness');

const PEER = path.join(__dirname, 'peer.js');
// Unacknowledged bytes a rate measurement keeps in flight (two windows of this many).
const WINDOW_BYTES = 256 * 1024;
const MAX_WINDOW = 256;

function isControlReply(m) {
  return m !== null && typeof m === 'object' && ('ok' in m || 'ready' in m || 'done' in m || 'error' in m);
}

function byteLength(payload) {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

// Sockets take bytes: typed arrays go as a Buffer over the same memory (no copy).
function asBytes(payload) {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function windowFor(payload) {
  return Math.max(1, Math.min(MAX_WINDOW, Math.floor(WINDOW_BYTES / Math.max(1, byteLength(payload)))));
}

// A peer reached by messages: a forked child (IPC) or a worker. Control replies resolve the
// pending control call; every other message goes to the current data listener.
class MessagePeer {
  constructor(label, endpoint, post) {
    this.label = label;
    this.endpoint = endpoint;
    this.post = post;
    this.pending = null;
    this.onData = null;
    this.failure = null;
    endpoint.on('message', (m) => {
      if (isControlReply(m)) {
        const p = this.pending;
        this.pending = null;
        if (!p) return;
        if (m.error) p.reject(new Error(`${label} peer: ${m.error}`));
        else p.resolve(m);
      } else if (this.onData) {
        this.onData(m);
      }
    });
    const died = (why) => {
      this.failure = new Error(`${label} peer ${why}`);
      if (this.pending) this.pending.reject(this.failure);
      this.pending = null;
      if (this.onFail) this.onFail(this.failure);
    };
    endpoint.on('exit', (code) => died(`exited (code ${code})`));
    endpoint.on('error', (err) => died(`failed: ${err.message}`));
  }

  // Sends a control object; resolves with the peer's reply. `onReply` sees an intermediate reply
  // (ready) before the final one (done) when the command has two.
  control(msg, onReply) {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const settle = { resolve, reject };
      if (onReply) {
        settle.resolve = (m) => {
          if (m.ready) {
            this.pending = settle;
            onReply(m);
          } else {
            resolve(m);
          }
        };
      }
      this.pending = settle;
      this.post(msg);
    });
  }

  // Pipelined one-way message rate: at most two windows unacknowledged; the peer acknowledges
  // every `window` messages. Returns { ops, ns }.
  async rate(payload, budgetNs) {
    const window = windowFor(payload);
    await this.control({ ctl: 'sink', every: window });
    return new Promise((resolve, reject) => {
      let sent = 0;
      let acked = 0;
      const start = now();
      let stop = false;
      const pump = () => {
        while (!stop && sent - acked < 2 * window) {
          for (let i = 0; i < window; i++) this.post(payload);
          sent += window;
        }
      };
      this.onFail = reject;
      this.onData = () => {
        acked += window;
        if (!stop && now() - start >= budgetNs) stop = true;
        if (stop && acked === sent) {
          this.onData = null;
          this.onFail = null;
          resolve({ ops: acked, ns: now() - start });
        } else {
          pump();
        }
      };
      pump();
    });
  }

  // Round trips of one message, each timed. Returns { samples } in nanoseconds.
  async echo(payload, budgetNs, minSamples) {
    await this.control({ ctl: 'echo' });
    return new Promise((resolve, reject) => {
      const samples = [];
      const start = now();
      let t0 = 0;
      this.onFail = reject;
      this.onData = () => {
        const t = now();
        samples.push(t - t0);
        if (t - start >= budgetNs && samples.length >= minSamples) {
          this.onData = null;
          this.onFail = null;
          resolve({ samples });
          return;
        }
        t0 = now();
        this.post(payload);
      };
      t0 = now();
      this.post(payload);
    });
  }

  async close() {
    if (this.failure) return;
    this.failure = new Error(`${this.label} peer closed`);
    this.post({ ctl: 'exit' });
    if (this.endpoint instanceof Worker) await this.endpoint.terminate();
    else if (this.endpoint.exitCode === null) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => { this.endpoint.kill(); resolve(); }, 2000);
        this.endpoint.once('exit', () => { clearTimeout(timer); resolve(); });
      });
    }
  }
}

// Every child and worker started, and every socket directory made, so that an interrupted run can
// still clean up synchronously.
const spawned = new Set();
const socketDirs = new Set();

/** Stops every peer and removes the socket directories at once: for exit and signal handlers. */
function killAll() {
  for (const p of spawned) {
    try {
      if (p instanceof Worker) p.terminate();
      else if (p.exitCode === null) p.kill();
    } catch {
      // Already gone.
    }
  }
  spawned.clear();
  for (const dir of socketDirs) fs.rmSync(dir, { recursive: true, force: true });
  socketDirs.clear();
}

function forkPeer(serialization) {
  const child = fork(PEER, [], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return new MessagePeer(`child_process (${serialization})`, child, (m) => child.send(m));
}

function workerPeer() {
  const worker = new Worker(PEER);
  spawned.add(worker);
  worker.once('exit', () => spawned.delete(worker));
  return new MessagePeer('worker_threads', worker, (m) => worker.postMessage(m));
}

// A Unix domain socket in a fresh temporary directory (removed by close()), between this process
// and a forked peer. Payloads are written as they are (strings as UTF-8); the peer answers with
// one byte per window of bytes (rate) or returns the bytes (echo).
class SocketPeer {
  static async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nlsm-bench-'));
    socketDirs.add(dir);
    const file = path.join(dir, 'peer.sock');
    const peer = new SocketPeer(dir, forkPeer('json'));
    const accepted = new Promise((resolve, reject) => {
      peer.server = net.createServer((s) => resolve(s));
      peer.server.on('error', reject);
      peer.server.listen(file);
    });
    await new Promise((resolve) => peer.server.once('listening', resolve));
    await Promise.all([peer.child.control({ ctl: 'connect', path: file }), accepted.then((s) => { peer.socket = s; })]);
    peer.socket.setNoDelay(true);
    peer.socket.on('data', (chunk) => peer.onData && peer.onData(chunk.length));
    return peer;
  }

  constructor(dir, child) {
    this.dir = dir;
    this.child = child;
    this.server = null;
    this.socket = null;
    this.onData = null;
  }

  async rate(value, budgetNs) {
    const payload = asBytes(value);
    const window = windowFor(payload);
    await this.child.control({ ctl: 'socket', mode: 'sink', every: window * byteLength(payload) });
    return new Promise((resolve) => {
      let sent = 0;
      let acked = 0;
      let stop = false;
      const start = now();
      const pump = () => {
        while (!stop && sent - acked < 2 * window) {
          for (let i = 0; i < window; i++) this.socket.write(payload);
          sent += window;
        }
      };
      this.onData = (n) => {
        acked += window * n; // one byte per window
        if (!stop && now() - start >= budgetNs) stop = true;
        if (stop && acked === sent) {
          this.onData = null;
          resolve({ ops: acked, ns: now() - start });
        } else {
          pump();
        }
      };
      pump();
    });
  }

  async echo(value, budgetNs, minSamples) {
    const payload = asBytes(value);
    await this.child.control({ ctl: 'socket', mode: 'echo' });
    const bytes = byteLength(payload);
    return new Promise((resolve) => {
      const samples = [];
      const start = now();
      let got = 0;
      let t0 = 0;
      this.onData = (n) => {
        got += n;
        if (got < bytes) return;
        const t = now();
        samples.push(t - t0);
        got = 0;
        if (t - start >= budgetNs && samples.length >= minSamples) {
          this.onData = null;
          resolve({ samples });
          return;
        }
        t0 = now();
        this.socket.write(payload);
      };
      t0 = now();
      this.socket.write(payload);
    });
  }

  async close() {
    if (this.socket) this.socket.destroy();
    if (this.server) await new Promise((resolve) => this.server.close(resolve));
    await this.child.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
    socketDirs.delete(this.dir);
  }
}

// Peers are started on first use and kept for the whole run, so spawning is never timed.
class Peers {
  constructor() {
    this.started = new Map();
  }

  get(kind) {
    if (!this.started.has(kind)) {
      const open = {
        ipc: () => forkPeer('json'),
        'ipc-advanced': () => forkPeer('advanced'),
        worker: () => workerPeer(),
        socket: () => SocketPeer.open(),
      }[kind];
      if (!open) throw new Error(`unknown peer kind ${kind}`);
      this.started.set(kind, Promise.resolve(open()));
    }
    return this.started.get(kind);
  }

  async closeAll() {
    const peers = await Promise.allSettled([...this.started.values()]);
    this.started.clear();
    await Promise.allSettled(peers.filter((p) => p.status === 'fulfilled').map((p) => p.value.close()));
  }
}

module.exports = { Peers, killAll };
