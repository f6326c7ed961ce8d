// Shared test helpers: segment names unique to this run, cleanup of every segment and peer a test
// made, the segments' bytes and files as the OS holds them (the one place that knows where each OS
// keeps segments), and a request/reply client for the peer script (test/fixtures/peer.js) run as a
// child process or as a worker thread.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');
const { Worker } = require('worker_threads');
const api = require('..');

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

// --- where each OS keeps segments -----------------------------------------------------------------
// Tests, fixtures and bench/run.js reach segment files only through the helpers below.
//   linux   shm_open objects are files on the tmpfs at /dev/shm, named as the segment; every
//           segment has one.
//   win32   a persistent segment is the file %PROGRAMDATA%\shared_memory\lsm_<name>.shm, with each
//           of \ / : * ? " < > | and characters below 32 replaced by '_'; a non-persistent one is a
//           named paging-file mapping with no file.
//   darwin  POSIX shm_open objects have no file system path at all (no entry here).
// Where a segment has no file, the helpers that only look at or poke bytes use the module's raw API
// (SharedMemory.open); those that need the file itself (truncation, modes, planting an image,
// listing) throw.
const SEGMENT_FILES = {
  linux: {
    dir: '/dev/shm',
    fileName: (name) => name,
    nameOf: (entry) => entry,
    everySegment: true,
    posixModes: true,
  },
  win32: {
    dir: path.join(process.env.PROGRAMDATA || 'C:\\ProgramData', 'shared_memory'),
    fileName: (name) => `lsm_${name.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_')}.shm`,
    nameOf: (entry) => {
      const m = /^lsm_(.*)\.shm$/s.exec(entry);
      return m ? m[1] : null;
    },
    everySegment: false,
    posixModes: false,
  },
}[process.platform];

function noSegmentFiles(what) {
  const why = process.platform === 'darwin' ? ' (POSIX shm_open objects have no file system path)' : '';
  return new Error(`${what}: segments have no files on ${process.platform}${why}`);
}

/** The path of the file backing segment `name` (on Windows only persistent segments have one). */
function segmentFile(name) {
  if (!SEGMENT_FILES) throw noSegmentFiles(`the file of segment ${JSON.stringify(name)}`);
  return path.join(SEGMENT_FILES.dir, SEGMENT_FILES.fileName(name));
}

/** The directory that holds the segment files. */
function segmentDir() {
  if (!SEGMENT_FILES) throw noSegmentFiles('the directory of segment files');
  return SEGMENT_FILES.dir;
}

/**
 * The names of the segments that have a file in segmentDir(): on Linux every entry of it; on Windows
 * the persistent segments, a replaced character coming back as '_'.
 */
function segmentNames() {
  return fs.readdirSync(segmentDir()).map(SEGMENT_FILES.nameOf).filter((n) => n !== null);
}

/** The file to reach segment `name` through, or null to go through the module's raw API instead. */
function fileOf(name) {
  if (!SEGMENT_FILES) return null;
  const file = segmentFile(name);
  return SEGMENT_FILES.everySegment || fs.existsSync(file) ? file : null;
}

/** Runs fn on a SharedMemory of the existing segment `name` (persistent: closing leaves the name). */
function withMapping(name, readOnly, fn) {
  const shm = api.SharedMemory.open(name, { readOnly, persistent: true });
  try {
    return fn(shm);
  } finally {
    shm.close();
  }
}

/** Whether segment `name` exists: its file, or where it has none, whether SharedMemory.open finds it. */
function segmentExists(name) {
  const file = fileOf(name);
  if (file) return fs.existsSync(file);
  try {
    withMapping(name, true, () => {});
    return true;
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}

/** The segment's bytes as the OS holds them: its file, or where it has none, a copy of its mapping. */
function readSegment(name) {
  const file = fileOf(name);
  return file ? fs.readFileSync(file) : withMapping(name, true, (shm) => shm.read());
}

/**
 * `length` bytes of the segment from `offset`, read from its file without mapping it (bytes past
 * the end of the file read as 0); where it has no file, copied from a mapping.
 */
function peekSegment(name, offset, length) {
  const file = fileOf(name);
  if (!file) return withMapping(name, true, (shm) => shm.read(offset, length));
  const b = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return b;
}

/** Writes bytes into the segment at an offset, as another process would (through its file if it has one). */
function pokeSegment(name, offset, bytes) {
  const file = fileOf(name);
  if (!file) {
    withMapping(name, false, (shm) => shm.write(offset, bytes));
    return;
  }
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** The segment's size as the OS holds it (its file's size, or where it has none, its mapping's). */
function segmentSize(name) {
  const file = fileOf(name);
  return file ? fs.statSync(file).size : withMapping(name, true, (shm) => shm.size);
}

/** The permission bits of the segment's file. */
function segmentMode(name) {
  if (SEGMENT_FILES && !SEGMENT_FILES.posixModes) {
    throw new Error(`the mode of segment ${JSON.stringify(name)}: files on ${process.platform} have no POSIX ` +
      'permission bits');
  }
  return fs.statSync(segmentFile(name)).mode & 0o777;
}

/**
 * Creates (or replaces) the segment's file with exactly these bytes, as another library or a
 * hostile peer would.
 */
function writeSegmentFile(name, bytes) {
  fs.writeFileSync(segmentFile(name), bytes);
}

/**
 * Replaces the segment as libsharedmemory's create() does when a writer (re)starts: removes the name
 * and makes a new object under it (a new inode: processes that mapped the old one keep it), sized
 * to `bytes` and holding them; `bytes` of length 0 leaves the new object empty, as a writer between
 * shm_open and ftruncate does. Linux only (the new object is a new file).
 */
function recreateSegment(name, bytes) {
  const file = segmentFile(name);
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    if (bytes.length > 0) {
      fs.ftruncateSync(fd, bytes.length);
      fs.writeSync(fd, bytes, 0, bytes.length, 0);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Cuts or grows the segment's file to `size` bytes under whoever maps it, as another process would. */
function truncateSegment(name, size) {
  fs.truncateSync(segmentFile(name), size);
}

/**
 * Deletes the segment's file whatever is in it (e.g. one a killed child left); a missing one is
 * fine. Where segments have no files, unlinks the name.
 */
function removeSegmentFile(name) {
  if (SEGMENT_FILES) fs.rmSync(segmentFile(name), { force: true });
  else removeSegment(name);
}

/**
 * Skips the calling test (from an it()) or every test of a describe() (from its before()) on any OS
 * but Linux, saying why: for tests that need what only Linux has (/proc, mount namespaces).
 */
function linuxOnly(ctx, why) {
  if (process.platform === 'linux') return;
  console.log(`      skipped on ${process.platform}, Linux only: ${why}`);
  ctx.skip();
}

// What a Windows segment does differently (README, Systems), for the tests that check what Linux
// does instead: each is the reason printed when such a test skips itself on Windows.
const ON_WINDOWS = {
  namedMapping: 'a non-persistent segment is a named mapping, which lives while any stream, thread or ' +
    'process still maps it (closing or unlink() elsewhere removes nothing)',
  deletePending: 'a file deleted while mapped keeps its name until its last handle closes (Wine, and Windows ' +
    'without POSIX delete semantics)',
  truncate: 'Windows refuses to truncate a file that is mapped (ERROR_USER_MAPPED_FILE): no peer can cut a ' +
    'segment under a mapping',
  modes: 'files have no POSIX permission bits (the folder\'s ACL decides)',
  signals: 'POSIX signals: Windows has no SIGBUS/SIGSEGV handlers to chain, and process.kill() ends a process ' +
    'without running its JavaScript',
  symlinks: 'symbolic links need a privilege on Windows, and CreateFile follows them as libsharedmemory does',
};

/**
 * What to multiply the time bounds of load tests by: Windows runs here only under Wine, which starts
 * threads and processes more slowly, with every stream call going through the engine (the C fast
 * path is off on Windows).
 */
const TIME_SCALE = process.platform === 'win32' ? 4 : 1;

/** Whether segment files have POSIX permission bits (segmentMode answers). */
const POSIX_MODES = Boolean(SEGMENT_FILES && SEGMENT_FILES.posixModes);

/** Whether a non-persistent segment is gone once this stream closes, even while others map it. */
const REMOVED_WHILE_MAPPED = process.platform !== 'win32';

/**
 * The size a stream sees when it opens, without a size, an existing segment `size` bytes long made
 * with this persistence: Windows tells a named mapping's size only in whole pages.
 */
function sizeSeenByOpener(size, persistent) {
  return process.platform === 'win32' && !persistent ? Math.ceil(size / 4096) * 4096 : size;
}

/**
 * Skips the calling test (from an it() written as a function) or every test of a describe() (from
 * its before()) on Windows, saying why (one of ON_WINDOWS).
 */
function notOnWindows(ctx, why) {
  if (process.platform !== 'win32') return;
  console.log(`      skipped on win32: ${why}`);
  ctx.skip();
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

/** Names of this run's segments that still exist. */
function ownSegments() {
  return segmentNames().filter((n) => n.startsWith(PREFIX));
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

/** Rejects with a clear message if `promise` does not settle within `ms`. */
function within(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** 'settled' if the promise settles before the next turn of the event loop, else 'pending'. */
async function settlesAtOnce(promise) {
  const marker = {};
  const r = await Promise.race([
    promise.then(() => 'settled', () => 'settled'),
    new Promise((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return r === marker ? 'pending' : r;
}

module.exports = {
  within,
  settlesAtOnce,
  api,
  PREFIX,
  uniqueName,
  segmentFile,
  segmentDir,
  segmentNames,
  segmentExists,
  readSegment,
  peekSegment,
  pokeSegment,
  segmentSize,
  segmentMode,
  writeSegmentFile,
  truncateSegment,
  recreateSegment,
  removeSegmentFile,
  linuxOnly,
  ON_WINDOWS,
  REMOVED_WHILE_MAPPED,
  POSIX_MODES,
  TIME_SCALE,
  sizeSeenByOpener,
  notOnWindows,
  u32,
  removeSegment,
  ownSegments,
  thrown,
  Resources,
  useSegments,
  Peer,
};
