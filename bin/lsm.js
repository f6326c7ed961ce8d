#!/usr/bin/env node
// lsm: see and manage shared memory segments from a shell (ls, stat, cat, watch, write, rm, queue),
// built only on the module's public API: inspect() and list() say what a segment holds, streams
// and queues read and write it.
'use strict';
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const lsm = require(path.join(__dirname, '..'));

// Exit codes scripts can rely on (README, Command-line tool).
const EXIT = { OK: 0, ERROR: 1, USAGE: 2, NOT_FOUND: 3 };

class UsageError extends Error {}

const LAYOUTS = ['v2', 'v1', 'v0'];
const AS = ['string', 'float', 'double', 'buffer'];

// Each command: its options (util.parseArgs), its positionals, its help text and what it does.
const COMMANDS = {
  ls: {
    usage: 'lsm ls [--json]',
    about: 'List every segment this user can see: kind and layout as detected, size, owner, mode, age, in use,\n' +
      'and for a stream its revision, payload type and length and lock; for a queue its fill.',
    options: { json: { type: 'boolean' } },
    args: [0, 0],
    run: ls,
  },
  stat: {
    usage: 'lsm stat NAME [--json]',
    about: 'Everything known about one segment (inspect()).',
    options: { json: { type: 'boolean' } },
    args: [1, 1],
    run: stat,
  },
  cat: {
    usage: 'lsm cat NAME [--layout v2|v1|v0] [--as string|float|double|buffer] [--json]',
    about: 'Print the current value, decoded by its type bits: a string as is, float and double arrays as\n' +
      'numbers one a line, bytes as hex. --layout reads it as that layout instead of the detected one,\n' +
      '--as forces a decoding. On a queue, prints its oldest message (as `lsm queue NAME`).',
    options: { json: { type: 'boolean' }, layout: { type: 'string' }, as: { type: 'string' } },
    args: [1, 1],
    run: cat,
  },
  watch: {
    usage: 'lsm watch NAME [--json] [--interval MS] [--layout v2|v1|v0]',
    about: 'Print each change as it happens, with a timestamp: for a stream the revision and the value,\n' +
      'for a queue its fill (count/capacity). Ctrl+C ends it (exit status 0). --interval is how often\n' +
      'a layout without change notifications (v1, v0, queues) is looked at; default 100 ms.',
    options: { json: { type: 'boolean' }, interval: { type: 'string' }, layout: { type: 'string' } },
    args: [1, 1],
    run: watch,
  },
  write: {
    usage: 'lsm write NAME VALUE [--float | --double] [--layout v2|v1|v0] [--size BYTES]\n' +
      '       lsm write NAME --file PATH [--layout v2|v1|v0] [--size BYTES]',
    about: 'Write a value to a stream (a string, or with --float/--double numbers separated by commas or\n' +
      'spaces; --file writes the bytes of a file). An existing stream keeps its layout and size; a missing\n' +
      'one is created, persistent, with --size bytes (default 65535) and --layout (default v2). On a queue,\n' +
      'enqueues VALUE.',
    options: {
      float: { type: 'boolean' }, double: { type: 'boolean' }, file: { type: 'string' },
      layout: { type: 'string' }, size: { type: 'string' },
    },
    args: [1, 2],
    run: write,
  },
  rm: {
    usage: 'lsm rm NAME... | lsm rm --stale [--prefix PREFIX] [--dry-run] [--json]',
    about: 'Remove the named segments (processes that map one keep their mapping). --stale removes instead\n' +
      'the segments of this user that nobody uses, as far as that can be known: v2 streams and queues\n' +
      'on which no writer or queue of this module is open (they announce themselves, from any PID\n' +
      'namespace), that no process visible in /proc maps, unchanged for a second. A segment records\n' +
      'nothing about persistence, so a persistent one waiting for its next writer counts too, and a\n' +
      'read-only or C++ user in another container is not seen: look first with --dry-run. --prefix\n' +
      'limits it to names that start with PREFIX.',
    options: { stale: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, prefix: { type: 'string' } },
    args: [0, Infinity],
    run: rm,
  },
  queue: {
    usage: 'lsm queue NAME [--take N] [--json]',
    about: 'Show a queue\'s fill and its oldest message without removing it; --take N removes and prints up\n' +
      'to N messages, oldest first. Messages print as text when they are UTF-8, else as hex.',
    options: { take: { type: 'string' }, json: { type: 'boolean' }, layout: { type: 'string' } },
    args: [1, 1],
    run: queue,
  },
};

const MAIN_HELP = `lsm: see and manage shared memory segments (node-libsharedmemory)

Usage: lsm COMMAND [options]   (lsm COMMAND --help for each)

${Object.entries(COMMANDS).map(([, c]) => `  ${c.usage.split('\n')[0]}`).join('\n')}

Exit status: 0 success, 1 error, 2 usage error, 3 a named segment does not exist.
`;

function out(line = '') {
  process.stdout.write(`${line}\n`);
}

function json(value) {
  out(JSON.stringify(value, null, 2));
}

// ---- reading a segment --------------------------------------------------------------------------

function checkChoice(value, choices, option) {
  if (value !== undefined && !choices.includes(value)) {
    throw new UsageError(`--${option} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInt(value, option) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${option} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

// A reader that changes nothing in the segment: mapped read-only, never marking anything read.
function openReader(name, layout, reattach = false) {
  return new lsm.NodeSharedMemoryReadStream(name, undefined, true, { layout, readOnly: true, reattach });
}

function streamLayout(info, override) {
  if (override) return override;
  if (info.kind === 'stream') return info.layout;
  if (info.kind === 'blank') return 'v2';
  throw Object.assign(new Error(`segment ${JSON.stringify(info.name)} is ${describeKind(info)}, not a stream: ` +
    'use --layout to read it as one anyway'), { code: 'ERR_SHM_LAYOUT' });
}

function describeKind(info) {
  switch (info.kind) {
    case 'raw': return 'raw (its bytes fit no layout)';
    case 'queue': return `a queue (layout ${info.layout})`;
    default: return info.kind;
  }
}

function readAs(reader, as) {
  switch (as) {
    case 'string': return reader.readString();
    case 'float': return reader.readFloatArray();
    case 'double': return reader.readDoubleArray();
    case 'buffer': return reader.readBuffer();
    default: return reader.read();
  }
}

function typeOf(value) {
  if (value === null) return null;
  if (typeof value === 'string') return 'string';
  if (value instanceof Float32Array) return 'float';
  if (value instanceof Float64Array) return 'double';
  return 'buffer';
}

// A value as JSON: a string as is, arrays of numbers, bytes as hex.
function jsonValue(value) {
  if (value === null || typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return Array.from(value);
}

function textValue(value) {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return Array.from(value).join('\n');
}

function utf8OrNull(buf) {
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : null;
}

// ---- output of inspect() ------------------------------------------------------------------------

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['K', 'M', 'G'];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

function formatAge(ms) {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function formatLock(lock) {
  if (lock === null) return null;
  if (lock.state === 'free') return 'free';
  const who = lock.holder === 1 ? 'a libsharedmemory (C++) peer' : `pid ${lock.holder}`;
  const alive = lock.alive === null ? 'alive unknown' : lock.alive ? 'alive' : 'dead';
  return `held by ${who} (${alive})`;
}

function details(info) {
  if (info.error) return `not readable: ${info.error}`;
  if (info.stream) {
    const s = info.stream;
    const parts = [];
    if (s.revision !== null) parts.push(`rev ${s.revision}`);
    parts.push(s.type === null ? 'empty' : `${s.type}(${s.length})`);
    if (s.lock) parts.push(`lock ${formatLock(s.lock)}`);
    return parts.join(' ');
  }
  if (info.queue) return `${info.queue.count}/${info.queue.capacity} messages, max ${info.queue.maxMessageSize}B`;
  return '';
}

function ownerText(info) {
  if (info.owner === null) return '-';
  return info.owner.user ?? String(info.owner.uid);
}

function modeText(mode) {
  return mode === null ? '-' : mode.toString(8).padStart(4, '0');
}

function inUseText(v) {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function ls(values) {
  const infos = lsm.list();
  if (values.json) return json(infos);
  const rows = [['NAME', 'KIND', 'LAYOUT', 'SIZE', 'OWNER', 'MODE', 'AGE', 'IN USE', 'DETAILS']];
  for (const i of infos) {
    rows.push([i.name, i.kind, i.layout ?? '-', formatSize(i.size), ownerText(i), modeText(i.mode), formatAge(i.age),
      inUseText(i.inUse), details(i)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) out(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
  return EXIT.OK;
}

function stat(values, [name]) {
  const info = lsm.inspect(name);
  if (values.json) return json(info);
  const lines = [
    ['name', info.name],
    ['kind', info.kind],
    ['layout', info.layout === null ? '-' : info.layout + (info.stream?.orV0 ? ' (or v0)' : '')],
    ['size', `${info.size} bytes`],
    ['owner', info.owner === null ? '-' : `${ownerText(info)} (uid ${info.owner.uid})`],
    ['mode', modeText(info.mode)],
    ['modified', info.mtime === null ? '-' : `${info.mtime.toISOString()} (${formatAge(info.age)} ago)`],
    ['in use', inUseText(info.inUse)],
  ];
  if (info.stream) {
    const s = info.stream;
    if (s.revision !== null) lines.push(['revision', String(s.revision)], ['ack', String(s.ack)]);
    lines.push(['flags', `0x${s.flags.toString(16).padStart(2, '0')}`], ['type', s.type ?? '- (nothing written)'],
      ['length', `${s.length} bytes`]);
    if (s.lock) lines.push(['lock', formatLock(s.lock)]);
  }
  if (info.queue) {
    const q = info.queue;
    lines.push(['count', `${q.count}/${q.capacity}`], ['max message', `${q.maxMessageSize} bytes`],
      ['read index', String(q.readIndex)], ['write index', String(q.writeIndex)]);
    if (q.locks) lines.push(['producer lock', formatLock(q.locks.producer)], ['consumer lock', formatLock(q.locks.consumer)]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) out(`${`${k}:`.padEnd(w + 1)} ${v}`);
  return EXIT.OK;
}

function cat(values, [name]) {
  const layout = checkChoice(values.layout, LAYOUTS, 'layout');
  const as = checkChoice(values.as, AS, 'as');
  const info = lsm.inspect(name);
  if (info.kind === 'queue' && !layout) return queue({ json: values.json }, [name]);
  const reader = openReader(name, streamLayout(info, layout));
  try {
    const value = readAs(reader, as);
    if (values.json) {
      json({ name, layout: reader.layout, type: typeOf(value), revision: reader.layout === 'v2' ? reader.revision : null,
        value: jsonValue(value) });
    } else if (value !== null) {
      out(textValue(value));
    }
  } finally {
    reader.close();
  }
  return EXIT.OK;
}

function timestamp() {
  return new Date().toISOString();
}

// Runs until SIGINT or SIGTERM; resolves with the exit status. A watch that the user ends is a
// success (0), as `tail -f` ended by Ctrl+C is for the scripts that start one.
function untilSignal(cleanup) {
  return new Promise((resolve) => {
    const stop = () => {
      cleanup();
      resolve(EXIT.OK);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function watch(values, [name]) {
  const interval = positiveInt(values.interval, 'interval') ?? 100;
  const layout = checkChoice(values.layout, LAYOUTS, 'layout');
  const info = lsm.inspect(name);
  if (info.kind === 'queue' && !layout) return watchQueue(values, name, info, interval);
  // A reader that follows a restarted writer (reattach) and marks nothing read.
  const reader = openReader(name, streamLayout(info, layout), true);
  const show = (value) => {
    const revision = reader.layout === 'v2' ? reader.revision : null;
    if (values.json) {
      out(JSON.stringify({ time: timestamp(), revision, type: typeOf(value), value: jsonValue(value) }));
    } else {
      const type = typeOf(value);
      const what = type === null ? '(nothing written)' : `${type}: ${textValue(value).replace(/\n/g, ' ')}`;
      out(`${timestamp()}${revision === null ? '' : `  rev ${revision}`}  ${what}`);
    }
  };
  let timer = null;
  // v1 and v0 have no revision to wait on: every write toggles kMemoryChanged, which is looked at,
  // from before the first read, so that a write right after it shows (perhaps twice, never not).
  let flags = reader.layout === 'v2' ? 0 : reader.readFlags();
  show(reader.read());
  if (reader.layout === 'v2') {
    // waitForChange, not 'change' events: it compares with the revision this reader last read, so
    // a write made between the first read and the wait (by whoever saw the first line) is not lost.
    (async () => {
      for (;;) show(await reader.waitForChange());
    })().catch((err) => {
      if (!reader.closed) {
        process.stderr.write(`lsm watch: ${err.message}\n`);
        process.exit(EXIT.ERROR);
      }
    });
  } else {
    timer = setInterval(() => {
      const now = reader.readFlags();
      if (now !== flags) {
        flags = now;
        show(reader.read());
      }
    }, interval);
  }
  return untilSignal(() => {
    if (timer) clearInterval(timer);
    reader.close();
  });
}

function watchQueue(values, name, info, interval) {
  const q = new lsm.NodeSharedMemoryQueue(name, undefined, undefined, true, false, { layout: info.layout, encoding: 'buffer' });
  let last = -1;
  const show = () => {
    const count = q.size;
    if (count === last) return;
    last = count;
    if (values.json) out(JSON.stringify({ time: timestamp(), count, capacity: q.capacity }));
    else out(`${timestamp()}  ${count}/${q.capacity} messages`);
  };
  show();
  const timer = setInterval(show, interval);
  return untilSignal(() => {
    clearInterval(timer);
    q.close();
  });
}

function numbers(text, option) {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const nums = parts.map(Number);
  const bad = parts.find((p, i) => Number.isNaN(nums[i]) && p !== 'NaN');
  if (parts.length === 0 || bad !== undefined) {
    throw new UsageError(`--${option} takes numbers separated by commas or spaces; got ${JSON.stringify(text)}`);
  }
  return nums;
}

function write(values, [name, value]) {
  const layout = checkChoice(values.layout, LAYOUTS, 'layout');
  const size = positiveInt(values.size, 'size');
  const modes = ['float', 'double', 'file'].filter((k) => values[k] !== undefined);
  if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
  if ((values.file === undefined) === (value === undefined)) {
    throw new UsageError(values.file === undefined ? 'write needs a VALUE (or --file PATH)' : 'give either VALUE or --file, not both');
  }
  let info = null;
  try {
    info = lsm.inspect(name);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (info && info.kind === 'queue' && !layout) {
    const payload = values.file === undefined ? value : fs.readFileSync(values.file);
    const q = new lsm.NodeSharedMemoryQueue(name, undefined, undefined, true, false, { layout: info.layout });
    try {
      if (!q.enqueue(payload)) throw Object.assign(new Error(`queue ${JSON.stringify(name)} is full`), { code: 'ERR_SHM_QUEUE_FULL' });
    } finally {
      q.close();
    }
    return EXIT.OK;
  }
  // An existing stream keeps its layout and size, and its header (no reset): watchers see one more
  // revision, as after any other write.
  const useLayout = info ? streamLayout(info, layout) : layout ?? 'v2';
  const bytes = info ? Math.max(info.size, size ?? 0) : size ?? lsm.DEFAULT_SIZE;
  const writer = new lsm.NodeSharedMemoryWriteStream(name, bytes, true, { layout: useLayout, reset: false });
  try {
    if (values.file !== undefined) writer.writeBuffer(fs.readFileSync(values.file));
    else if (values.float) writer.writeFloatArray(Float32Array.from(numbers(value, 'float')));
    else if (values.double) writer.writeDoubleArray(Float64Array.from(numbers(value, 'double')));
    else writer.writeString(value);
  } finally {
    writer.close();
  }
  return EXIT.OK;
}

function rm(values, names) {
  if (values.stale) {
    if (names.length > 0) throw new UsageError('rm --stale takes no names');
    return rmStale(values);
  }
  if (names.length === 0) throw new UsageError('rm needs at least one NAME (or --stale)');
  if (values['dry-run'] || values.prefix !== undefined || values.json) {
    throw new UsageError(`--${values['dry-run'] ? 'dry-run' : values.json ? 'json' : 'prefix'} goes with --stale`);
  }
  let status = EXIT.OK;
  for (const name of names) {
    try {
      lsm.unlink(name);
    } catch (err) {
      process.stderr.write(`lsm rm: ${err.message}\n`);
      if (err.code === 'ENOENT') status = Math.max(status, EXIT.NOT_FOUND);
      else status = EXIT.ERROR;
    }
  }
  return status;
}

// A segment is stale only when everything that can be known says so (README, Decisions): it is
// ours; it is a v2 stream or queue, whose users of this module announce themselves on it from any
// PID namespace, and none does (announced false, not unknown); no process that /proc shows maps it;
// and it did not change in the last second (a writer between its open and its mapping).
function isStale(i, uid) {
  return i.owner !== null && i.owner.uid === uid && (i.kind === 'stream' || i.kind === 'queue') && i.layout === 'v2' &&
    i.announced === false && i.mapped !== true && i.age !== null && i.age >= 1000;
}

function rmStale(values) {
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : null;
  const prefix = values.prefix ?? '';
  const stale = lsm.list().filter((i) => i.name.startsWith(prefix) && isStale(i, uid));
  const removed = [];
  let status = EXIT.OK;
  for (const i of stale) {
    if (values['dry-run']) {
      removed.push(i.name);
      continue;
    }
    try {
      lsm.unlink(i.name);
      removed.push(i.name);
    } catch (err) {
      if (err.code === 'ENOENT') continue; // gone meanwhile: nothing left to do
      process.stderr.write(`lsm rm: ${err.message}\n`);
      status = EXIT.ERROR;
    }
  }
  if (values.json) json({ dryRun: values['dry-run'] === true, removed });
  else for (const n of removed) out(values['dry-run'] ? `would remove ${n}` : `removed ${n}`);
  return status;
}

function message(buf) {
  const text = utf8OrNull(buf);
  return { length: buf.length, text, hex: buf.toString('hex') };
}

function queue(values, [name]) {
  const take = positiveInt(values.take, 'take');
  const layout = checkChoice(values.layout, ['v2', 'v1'], 'layout');
  const info = lsm.inspect(name);
  if (info.kind !== 'queue' && !layout) {
    throw Object.assign(new Error(`segment ${JSON.stringify(name)} is ${describeKind(info)}, not a queue: ` +
      'use --layout to open it as one anyway'), { code: 'ERR_SHM_LAYOUT' });
  }
  const q = new lsm.NodeSharedMemoryQueue(name, undefined, undefined, true, false,
    { layout: layout ?? info.layout, encoding: 'buffer', reattach: false });
  try {
    const messages = [];
    if (take === undefined) {
      const head = q.peek();
      if (head !== undefined) messages.push(message(head));
    } else {
      for (let n = 0; n < take; n++) {
        const m = q.dequeue();
        if (m === undefined) break;
        messages.push(message(m));
      }
    }
    const result = { name, layout: q.layout, count: q.size, capacity: q.capacity, maxMessageSize: q.maxMessageSize,
      [take === undefined ? 'peeked' : 'taken']: messages };
    if (values.json) return json(result);
    if (take === undefined) out(`${name}: ${result.count}/${result.capacity} messages (max ${result.maxMessageSize} bytes)`);
    for (const m of messages) out(m.text ?? m.hex);
  } finally {
    q.close();
  }
  return EXIT.OK;
}

// ---- main -----------------------------------------------------------------------------------------

function help(name) {
  const c = COMMANDS[name];
  return `Usage: ${c.usage}\n\n${c.about}\n`;
}

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] in COMMANDS) process.stdout.write(help(rest[0]));
    else process.stdout.write(MAIN_HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version') {
    out(require(path.join(__dirname, '..', 'package.json')).version);
    return EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  let values;
  let positionals;
  try {
    if (command === null) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    ({ values, positionals } = parseArgs({
      args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true,
    }));
    if (values.help) {
      process.stdout.write(help(name));
      return EXIT.OK;
    }
    const [min, max] = command.args;
    if (positionals.length < min || positionals.length > max) {
      throw new UsageError(positionals.length < min ? 'missing NAME' : `unexpected argument ${JSON.stringify(positionals[max])}`);
    }
    return await command.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError || (err.code && err.code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`lsm: ${err.message}\n\n${command ? help(name) : MAIN_HELP}`);
      return EXIT.USAGE;
    }
    process.stderr.write(`lsm ${name}: ${err.message}\n`);
    return err.code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.ERROR;
  }
}

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status ?? EXIT.OK;
});
