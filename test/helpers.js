// Shared test helpers: segment names unique to this run, cleanup of every segment and peer a test
// made, direct access to the segment files under /dev/shm, and a request/reply client for the peer
// script (test/fixtures/peer.js) run as a child process or as a worker thread.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');
const { Worker } = require('worker_threads');
const api = require('..');

const SHM_DIR = '/dev/shm';
// Every segment of the run starts with this, so leftovers can be found (test/99-leftovers.js) and
// nothing collides with a concurrent run or with segments of other programs.
const PREFIX = `nlsm-test-${process.pid}-`;
const PEER_SCRIPT = path.join(__dirname, 'fixtures', 'peer.js');

let counter = 0;

/** A name no other test (or run) uses. */
function uniqueName(tag) {
  counter += 1;
  return `${PREFIX}${counter}${tag ? `-${tag}` : ''}`;
}

function shmPath(name) {
  return path.join(SHM_DIR, name);
}

function segmentExists(name) {
  return fs.existsSync(shmPath(name));
}

/** The segment's bytes as the OS holds them (the file backing the mapping). */
function readSegment(name) {
  return fs.readFileSync(shmPath(name));
}

/** Writes bytes into the segment file at an offset, as another process would. */
function pokeSegment(name, offset, bytes) {
  const fd = fs.openSync(shmPath(name), 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function u32(value) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** Removes a segment through the module's own unlink(); a segment already gone is fine. */
function removeSegment(name) {
  try {
    api.unlink(name);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
}

/** Names of this run's segments currently in /dev/shm. */
function ownSegmentsInShm() {
  return fs.readdirSync(SHM_DIR).filter((entry) => entry.startsWith(PREFIX));
}

/** Runs fn, asserts it throws, and returns what it threw. */
function thrown(fn, what = 'the call') {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail(`${what} did not throw`);
  return undefined;
}

/**
 * Tracks the segments, streams and peers of a test; cleanup() closes the streams, ends the peers
 * and removes the segments. useSegments() registers it in afterEach of the calling describe().
 */
class Resources {
  constructor() {
    this.names = new Set();
    this.streams = [];
    this.peers = [];
  }

  /** A fresh unique name, removed at cleanup. */
  name(tag) {
    const n = uniqueName(tag);
    this.names.add(n);
    return n;
  }

  /** Removes `name` at cleanup too (a name not made by name(), e.g. the default one). */
  adopt(name) {
    this.names.add(name);
    return name;
  }

  track(stream) {
    this.streams.push(stream);
    return stream;
  }

  writer(...args) {
    return this.track(new api.NodeSharedMemoryWriteStream(...args));
  }

  reader(...args) {
    return this.track(new api.NodeSharedMemoryReadStream(...args));
  }

  async forkPeer(options) {
    const peer = Peer.fork(options);
    this.peers.push(peer);
    await peer.ready;
    return peer;
  }

  async workerPeer() {
    const peer = Peer.worker();
    this.peers.push(peer);
    await peer.ready;
    return peer;
  }

  async cleanup() {
    for (const s of this.streams) {
      try {
        s.close();
      } catch {
        // A stream the test broke on purpose; its segment is removed below either way.
      }
    }
    this.streams = [];
    await Promise.all(this.peers.map((p) => p.kill()));
    this.peers = [];
    for (const n of this.names) removeSegment(n);
    this.names.clear();
  }
}

function useSegments() {
  const res = new Resources();
  afterEach(() => res.cleanup());
  return res;
}

/**
 * The parent side of test/fixtures/peer.js: call(op, args) sends one request and resolves with
 * the reply's value, or rejects with an Error carrying the remote error's name, code and segment.
 * Messages use structured clone (serialization 'advanced' for child processes), so typed arrays
 * cross intact. A peer that dies rejects every pending call with how it died.
 */
class Peer {
  /** captureStderr: keep the child's stderr in peer.stderr instead of printing it. */
  static fork({ execArgv = [], captureStderr = false } = {}) {
    const child = fork(PEER_SCRIPT, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', captureStderr ? 'pipe' : 'inherit', 'ipc'],
    });
    const peer = new Peer('process', child);
    if (captureStderr) {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => { peer.stderr += chunk; });
    }
    return peer;
  }

  static worker() {
    return new Peer('worker', new Worker(PEER_SCRIPT));
  }

  constructor(kind, endpoint) {
    this.kind = kind;
    this.endpoint = endpoint;
    this.pending = new Map();
    this.seq = 0;
    this.exitInfo = null;
    this.stderr = '';
    this.exited = new Promise((resolve) => {
      const onExit = (code, signal) => {
        this.exitInfo = { code, signal: signal || null };
        for (const { reject } of this.pending.values()) {
          reject(new Error(`peer ${kind} exited (code ${code}, signal ${signal || 'none'}) before replying`));
        }
        this.pending.clear();
        resolve(this.exitInfo);
      };
      // A child process is done once its stdio is closed too ('close'), so peer.stderr is complete.
      endpoint.once(kind === 'process' ? 'close' : 'exit', onExit);
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg && msg.ready) {
          this.pid = msg.pid;
          resolve(this);
          return;
        }
        const p = this.pending.get(msg.seq);
        if (!p) return;
        this.pending.delete(msg.seq);
        if (msg.ok) {
          p.resolve(msg.value);
        } else {
          const err = new Error(msg.error.message);
          Object.assign(err, { remoteName: msg.error.name, code: msg.error.code, segment: msg.error.segment });
          p.reject(err);
        }
      };
      endpoint.on('message', onMessage);
      // Kept for the peer's whole life: a Worker 'error' event with no listener would throw here.
      endpoint.on('error', (err) => {
        this.error = err;
        reject(err);
      });
      this.exited.then((info) => reject(new Error(`peer ${kind} exited before it was ready: ${JSON.stringify(info)}`)));
    });
  }

  call(op, args = {}) {
    if (this.exitInfo) return Promise.reject(new Error(`peer ${this.kind} has exited`));
    this.seq += 1;
    const seq = this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      const msg = { seq, op, ...args };
      if (this.kind === 'process') this.endpoint.send(msg);
      else this.endpoint.postMessage(msg);
    });
  }

  /** Asks the peer to end itself with `op` (e.g. 'exit') and waits until it has. */
  async end(op = 'exit', args = {}) {
    this.call(op, args).catch(() => {}); // the peer may die before replying; that is the point
    return this.exited;
  }

  async kill() {
    if (this.exitInfo) return this.exitInfo;
    if (this.kind === 'process') this.endpoint.kill('SIGKILL');
    else await this.endpoint.terminate();
    return this.exited;
  }
}

module.exports = {
  api,
  SHM_DIR,
  PREFIX,
  uniqueName,
  shmPath,
  segmentExists,
  readSegment,
  pokeSegment,
  u32,
  removeSegment,
  ownSegmentsInShm,
  thrown,
  Resources,
  useSegments,
  Peer,
};
