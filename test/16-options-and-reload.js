// Issue 11, items 8 and 10: an options key a call does not take is refused, naming the key (and the
// nearest known one), instead of being ignored; loading the module again (test runners clear the
// require cache) adds no process listener, and every load's non-persistent segments still go at exit.
'use strict';
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { api, useSegments, segmentExists, uniqueName, removeSegment } = require('./helpers');

const { NodeSharedMemoryWriteStream: Writer, NodeSharedMemoryReadStream: Reader, NodeSharedMemoryQueue: Queue, SharedMemory } = api;

describe('16 options keys and reloading the module', () => {
  const res = useSegments();

  it('a misspelt or unknown option is ERR_INVALID_ARG_VALUE naming it and its nearest known key, and creates nothing', async () => {
    const existing = res.name('opts-existing');
    res.writer(existing, 64, true);
    const cases = [
      ['writer', (name, o) => new Writer(name, 64, false, o), { lockTimeot: 5 }, 'lockTimeout'],
      ['writer', (name, o) => new Writer(name, 64, false, o), { Layout: 'v1' }, 'layout'],
      ['reader', (name, o) => new Reader(existing, undefined, true, o), { pollIntervall: 5 }, 'pollInterval'],
      ['queue', (name, o) => new Queue(name, 2, 8, false, true, o), { encodng: 'buffer' }, 'encoding'],
      ['SharedMemory.create', (name, o) => SharedMemory.create(name, 16, o), { persistant: false }, 'persistent'],
      ['SharedMemory.open', (name, o) => SharedMemory.open(existing, o), { readonly: true }, 'readOnly'],
      ['writer', (name, o) => new Writer(name, 64, false, o), { colour: 'blue' }, undefined],
    ];
    for (const [what, make, options, near] of cases) {
      const name = res.name('opts');
      const key = Object.keys(options)[0];
      let err;
      try {
        res.track(make(name, options));
      } catch (e) {
        err = e;
      }
      assert.ok(err, `${what} accepted options.${key}`);
      assert.ok(err instanceof TypeError, `${what}: ${err}`);
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE', `${what}: ${err.message}`);
      assert.match(err.message, new RegExp(`options\\.${key}\\b`));
      if (near) assert.match(err.message, new RegExp(`did you mean options\\.${near}\\?`), err.message);
      else assert.doesNotMatch(err.message, /did you mean/);
      assert.strictEqual(segmentExists(name), false, `${what} created ${name}`);
    }
    // The waits take options too.
    const r = res.track(new Reader(existing));
    await assert.rejects(async () => r.waitForChange({ timout: 10 }),
      (e) => e.code === 'ERR_INVALID_ARG_VALUE' && /options\.timout\b.*did you mean options\.timeout\?/.test(e.message));
  });

  it('the module loaded again and again (require cache cleared) keeps one exit and one signal hook, and every load\'s non-persistent segments are removed at exit', () => {
    const names = Array.from({ length: 12 }, (_, i) => uniqueName(`reload-${i}`));
    const script = `
      const root = ${JSON.stringify(path.join(__dirname, '..'))};
      const names = ${JSON.stringify(names)};
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name));
      const before = ['exit', 'newListener', 'removeListener'].map((e) => process.listenerCount(e));
      const kept = [];
      for (const name of names) {
        for (const k of Object.keys(require.cache)) if (k.startsWith(root + '/lib/') || k === root + '/index.js') delete require.cache[k];
        const lib = require(root);
        kept.push(new lib.NodeSharedMemoryWriteStream(name, 64, false));
      }
      const after = ['exit', 'newListener', 'removeListener'].map((e) => process.listenerCount(e));
      setImmediate(() => {
        process.stdout.write(JSON.stringify({ before, after, warnings }));
        process.exit(0); // skips environment teardown: only the exit hook removes the segments
      });
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    try {
      assert.strictEqual(run.status, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      // The first load adds one listener of each kind; the eleven after it add none.
      assert.deepStrictEqual(out.after.map((n, i) => n - out.before[i]), [1, 1, 1], JSON.stringify(out));
      assert.deepStrictEqual(out.warnings, []);
      for (const name of names) assert.strictEqual(segmentExists(name), false, `${name} was left behind`);
    } finally {
      for (const name of names) removeSegment(name);
    }
  });
});
