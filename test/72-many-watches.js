// Many watches in one process (issue 12, targets 4 and 7): on Linux one engine waiter serves up to
// 127 watches (futex_waitv), so threads do not grow with the watches, and each watch still gets
// its own writes, woken or not (a C++-style writer that wakes nobody is noticed at a poll tick).
'use strict';
const assert = require('assert');
const fs = require('fs');
const { api, useSegments, readSegment, peekSegment, pokeSegment, u32, linuxOnly } = require('./helpers');

const HINT_REVISION = 1;
const COUNT = 300; // three groups of futex_waitv words

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tasks = () => fs.readdirSync('/proc/self/task').length;

async function until(what, test, ms = 5000) {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await delay(2);
  }
}

/** A write as libsharedmemory 2.x makes it: payload, size, flags, then the revision; no wake. */
function writeLikeCpp(name, text) {
  const before = readSegment(name);
  const payload = Buffer.from(text);
  pokeSegment(name, 20, payload);
  pokeSegment(name, 12, u32(payload.length));
  pokeSegment(name, 0, Buffer.from([((before[0] & 1) ^ 1) | api.kMemoryTypeString]));
  pokeSegment(name, 4, u32(before.readUInt32LE(4) + 1));
}

describe('72 many watches', function () {
  this.timeout(30000);
  const res = useSegments();

  it(`${COUNT} 'change' listeners on ${COUNT} segments: the thread count stays flat, and every listener gets its segment's writes, woken or not`, async function () {
    linuxOnly(this, 'counts the threads in /proc/self/task (one waiter per 127 watches needs futex_waitv)');
    const names = [];
    const writers = [];
    const readers = [];
    const got = [];
    for (let i = 0; i < COUNT; i++) {
      const name = res.name();
      names.push(name);
      writers.push(res.writer(name, 256));
      readers.push(res.reader(name));
      got.push([]);
    }
    // Threads the runtime starts once (a first watch, a first waiter) are not the watches' own.
    readers[0].on('change', (v) => got[0].push(v));
    await until('the first watcher armed', () => peekSegment(names[0], HINT_REVISION, 1)[0] === 1);
    const before = tasks();
    for (let i = 1; i < COUNT; i++) readers[i].on('change', (v) => got[i].push(v));
    await until('every watcher armed', () => names.every((n) => peekSegment(n, HINT_REVISION, 1)[0] === 1));
    const grown = tasks() - before;
    assert.ok(grown <= 8, `${COUNT} watches added ${grown} threads`);

    for (let i = 0; i < COUNT; i++) writers[i].writeString(`woken ${i}`);
    await until('every woken write delivered', () => got.every((g, i) => g.includes(`woken ${i}`)));
    // One segment in each group, and the last: written without a wake, noticed at a poll tick.
    for (const i of [0, 130, 260, COUNT - 1]) writeLikeCpp(names[i], `cpp ${i}`);
    await until('every unwoken write delivered', () => [0, 130, 260, COUNT - 1].every((i) => got[i].includes(`cpp ${i}`)));

    // Half of them stop: their hint bytes go back to 0 (writers stop waking), the others still listen.
    for (let i = 0; i < COUNT; i += 2) readers[i].removeAllListeners('change');
    await until('stopped watches gone', () => names.every((n, i) => peekSegment(n, HINT_REVISION, 1)[0] === (i % 2 ? 1 : 0)));
    for (let i = 0; i < COUNT; i++) writers[i].writeString(`again ${i}`);
    await until('the remaining listeners delivered', () => got.every((g, i) => i % 2 === 0 || g.includes(`again ${i}`)));
    await delay(20);
    for (let i = 0; i < COUNT; i += 2) assert.ok(!got[i].includes(`again ${i}`), `listener ${i} was removed but got a value`);
  });

  it('a watch on a segment truncated under it ends with an error while the other watches of its waiter go on', async function () {
    linuxOnly(this, 'truncates the segment file');
    const names = [res.name(), res.name()];
    const writers = names.map((n) => res.writer(n, 4096));
    const readers = names.map((n) => res.reader(n));
    const got = [[], []];
    const errors = [];
    readers.forEach((r, i) => {
      r.on('change', (v) => got[i].push(v));
      r.on('error', (err) => errors.push([i, err]));
    });
    await until('both armed', () => names.every((n) => peekSegment(n, HINT_REVISION, 1)[0] === 1));
    fs.truncateSync(require('./helpers').segmentFile(names[0]), 0);
    writers[1].writeString('still here');
    await until('the other watch delivered', () => got[1].includes('still here'));
    await until('the fault reported', () => errors.length > 0);
    assert.strictEqual(errors[0][0], 0);
    assert.strictEqual(errors[0][1].code, 'ERR_SHM_FAULT');
    writers[1].writeString('and again');
    await until('the other watch still delivers', () => got[1].includes('and again'));
  });
});
