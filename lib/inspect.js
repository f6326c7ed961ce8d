// inspect() and list(): what segments hold, as the engine detects it (goshm/inspect.go), in the
// shape index.d.ts documents; and the util.inspect output of streams, queues and SharedMemory.
'use strict';
const native = require('./native');
const check = require('./validate');

const C = native.constants;
const LAYOUTS = ['v0', 'v1', 'v2'];
const KINDS = {
  [C.SHAPE_STREAM]: 'stream',
  [C.SHAPE_QUEUE]: 'queue',
  [C.SHAPE_BLANK]: 'blank',
  // Readable, but no layout fits: a SharedMemory's own bytes (or garbage).
  [C.SHAPE_UNKNOWN]: 'raw',
};
const TYPES = {
  [C.TYPE_STRING]: 'string',
  [C.TYPE_FLOAT]: 'float',
  [C.TYPE_DOUBLE]: 'double',
  [C.TYPE_BYTES]: 'buffer',
};

function tri(value) {
  return value === C.TRI_UNKNOWN ? null : value === C.TRI_YES;
}

function lock(word, alive) {
  return word === 0 ? { state: 'free', holder: 0, alive: null } : { state: 'held', holder: word, alive: tri(alive) };
}

// The public shape of one engine description (src/inspect.cc). `now` is the clock age is counted
// against, one for a whole list.
function shape(raw, now) {
  // A segment list() could not map (another user's, no read access): only what the OS said.
  const kind = raw.error !== '' ? 'unknown' : KINDS[raw.shape];
  const mtime = raw.mtimeMs === 0 ? null : new Date(raw.mtimeMs);
  const info = {
    name: raw.name,
    kind,
    layout: kind === 'stream' || kind === 'queue' ? LAYOUTS[raw.layout] : null,
    size: raw.size,
    owner: raw.hasOwner ? { uid: raw.uid, user: raw.owner === '' ? null : raw.owner } : null,
    mode: raw.hasOwner ? raw.mode : null,
    mtime,
    age: mtime === null ? null : Math.max(0, now - raw.mtimeMs),
    inUse: tri(raw.inUse),
    mapped: tri(raw.mapped),
    announced: tri(raw.announced),
    stream: null,
    queue: null,
  };
  if (raw.error !== '') info.error = raw.error;
  if (kind === 'stream') {
    const v2 = raw.layout === C.LAYOUT_V2;
    info.stream = {
      revision: v2 ? raw.revision : null,
      ack: v2 ? raw.ack : null,
      flags: raw.flags,
      type: TYPES[raw.type] ?? null,
      length: raw.length,
      lock: v2 ? lock(raw.lock, raw.lockAlive) : null,
      orV0: raw.orV0 === 1,
    };
  } else if (kind === 'queue') {
    const v2 = raw.layout === C.LAYOUT_V2;
    info.queue = {
      count: raw.count,
      capacity: raw.capacity,
      maxMessageSize: raw.maxMessageSize,
      readIndex: raw.readIndex,
      writeIndex: raw.writeIndex,
      locks: v2 ? { producer: lock(raw.producerLock, raw.producerAlive), consumer: lock(raw.consumerLock, raw.consumerAlive) } : null,
    };
  }
  return info;
}

/**
 * What the named segment holds, looked at read-only: nothing in it changes.
 * @param {string} name
 */
function inspect(name) {
  check.checkName(name);
  return shape(native.inspect(name), Date.now());
}

/** Every segment this process can see, sorted by name. */
function list() {
  const now = Date.now();
  return native.list().map((raw) => shape(raw, now)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// The util.inspect output of a stream, queue or SharedMemory: its class and the fields that say
// which segment it is and in what state, instead of the EventEmitter's internals.
function describeObject(obj, fields, depth, options, show) {
  const name = obj.constructor.name;
  if (depth < 0) return options.stylize(`[${name}]`, 'special');
  return `${name} ${show(fields, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
}

module.exports = { inspect, list, describeObject };
