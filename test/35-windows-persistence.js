// Windows persistence (issue 14): a persistent segment is the file
// %PROGRAMDATA%\shared_memory\lsm_<name>.shm, with each of \ / : * ? " < > | and every character
// below 32 in the name replaced by '_', as libsharedmemory 2.x names it. It outlives the process that
// wrote it, and a reader started later finds it there. The path is spelled out here from those rules,
// not taken from test/helpers.js, so a wrong rule in either place fails. Windows only (run by
// npm run test:windows, under Wine); a non-persistent segment, a named mapping, goes with its
// writer's process.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { api, useSegments } = require('./helpers');

const { constants } = require('../lib/native');

describe('35 Windows: persistent segments are files that outlive their writer', () => {
  const res = useSegments();

  before(function () {
    if (process.platform === 'win32') return;
    console.log(`      skipped on ${process.platform}, Windows only: the segment files of libsharedmemory 2.x on Windows`);
    this.skip();
  });

  it('a writer process exits; its file is lsm_<sanitized name>.shm in %PROGRAMDATA%\\shared_memory, and a new reader reads it', async () => {
    // Every character the rules replace: the nine reserved ones and two below 32 (1 and 31).
    const tag = 'a\\b:c*d?e"f<g>h|i\x01j\x1f';
    const name = res.name(tag);
    const file = path.join(process.env.PROGRAMDATA, 'shared_memory',
      `lsm_${name.slice(0, -tag.length)}a_b_c_d_e_f_g_h_i_j_.shm`);
    const size = 4096;

    const writer = await res.forkPeer();
    const { id } = await writer.call('open', { role: 'writer', name, size, persistent: true });
    await writer.call('write', { id, kind: 'string', value: 'outlives its writer' });
    assert.deepStrictEqual(await writer.end('exit'), { code: 0, signal: null });

    // The file itself: the segment's size, a v2 header after one write (flags: string | changed;
    // revision 1; payload size at 12) and the payload.
    const bytes = fs.readFileSync(file);
    const payload = Buffer.from('outlives its writer');
    assert.strictEqual(bytes.length, size);
    assert.strictEqual(bytes[0], constants.TYPE_STRING | constants.FLAG_CHANGED);
    assert.strictEqual(bytes.readUInt32LE(4), 1);
    assert.strictEqual(bytes.readUInt32LE(12), payload.length);
    assert.deepStrictEqual(bytes.subarray(constants.V2_DATA, constants.V2_DATA + payload.length), payload);

    // A reader in a process that never saw the writer.
    const reader = await res.forkPeer();
    const opened = await reader.call('open', { role: 'reader', name, persistent: true });
    assert.strictEqual(opened.size, size);
    assert.strictEqual(await reader.call('read', { id: opened.id, kind: 'string' }), 'outlives its writer');
    await reader.call('close', { id: opened.id });

    api.unlink(name);
    assert.ok(!fs.existsSync(file), `${file} is removed by unlink`);
  });

  it('a non-persistent segment (a named mapping, no file) goes with its writer\'s process', async () => {
    const name = res.name();
    const file = path.join(process.env.PROGRAMDATA, 'shared_memory', `lsm_${name}.shm`);
    const writer = await res.forkPeer();
    const { id } = await writer.call('open', { role: 'writer', name, size: 4096, persistent: false });
    await writer.call('write', { id, kind: 'string', value: 'gone' });
    assert.ok(!fs.existsSync(file), 'a non-persistent segment has no file');
    await writer.end('exit');
    assert.throws(() => new api.NodeSharedMemoryReadStream(name, undefined, false), { code: 'ENOENT' });
  });

  // Windows tells a named mapping's size only in whole pages, so a queue's geometry (header plus
  // slots) falls short of it: it is still recognised as the queue it is.
  it('a queue in a named mapping: another capacity or maxMessageSize is ERR_SHM_LAYOUT naming both; a reader attaches', () => {
    const name = res.name();
    const queue = new api.NodeSharedMemoryQueue(name, 4, 16, false);
    try {
      queue.enqueue('kept');
      assert.throws(() => new api.NodeSharedMemoryQueue(name, 8, 16, false),
        { code: 'ERR_SHM_LAYOUT', message: /capacity of 4 .*capacity of 8/ });
      assert.throws(() => new api.NodeSharedMemoryQueue(name, 4, 32),
        { code: 'ERR_SHM_LAYOUT', message: /maxMessageSize of 16 .*32 bytes/ });
      const reader = new api.NodeSharedMemoryQueue(name, undefined, undefined, false, false);
      assert.deepStrictEqual([reader.capacity, reader.maxMessageSize], [4, 16]);
      assert.strictEqual(reader.dequeue(), 'kept');
      reader.close();
    } finally {
      queue.close();
    }
  });
});
