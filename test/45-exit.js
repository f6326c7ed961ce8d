// What happens to a non-persistent segment whose owner process ends without close(): the addon
// closes what its environment still has open when the environment is torn down (natural exit),
// and lib/native.js does the same on process 'exit', which process.exit() and an uncaught
// exception reach without a teardown.
'use strict';
const assert = require('assert');
const { useSegments, segmentExists } = require('./helpers');

async function childEndsWithOpenWriter(res, how) {
  const name = res.name();
  const peer = await res.forkPeer({ captureStderr: how === 'crash' });
  await peer.call('open', { role: 'writer', name, size: 4096, persistent: false });
  const r = await peer.call('open', { role: 'reader', name, persistent: false });
  assert.ok(r.id > 0);
  assert.ok(segmentExists(name), 'the child made the segment');
  const exit = await peer.end(how, { code: 0 });
  return { name, exit, removed: !segmentExists(name), stderr: peer.stderr };
}

describe('45 a process ending with open non-persistent streams', () => {
  const res = useSegments();

  it('natural exit (event loop drained): the segment is removed', async () => {
    const { exit, removed } = await childEndsWithOpenWriter(res, 'drain');
    assert.deepStrictEqual(exit, { code: 0, signal: null });
    assert.ok(removed, 'a child that ended on its own left its non-persistent segment behind');
  });

  it('process.exit(0): the segment is removed', async () => {
    const { name, exit, removed } = await childEndsWithOpenWriter(res, 'exit');
    assert.deepStrictEqual(exit, { code: 0, signal: null });
    assert.ok(removed, `process.exit(0) left segment ${name} behind`);
  });

  it('uncaught exception: the segment is removed', async () => {
    const { name, exit, removed, stderr } = await childEndsWithOpenWriter(res, 'crash');
    assert.notStrictEqual(exit.code, 0, 'the child died of its exception');
    assert.match(stderr, /uncaught exception on purpose/);
    assert.ok(removed, `an uncaught exception (exit code ${exit.code}) left segment ${name} behind`);
  });
});
