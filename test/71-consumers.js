// Several consumers of one reader (README "Change detection and events", issue 11 item 4): each
// 'change' listener, each pending waitForChange() and each `for await` loop sees each change, and
// none of them takes a value away from the others. A listener's value does not count as this
// reader's read (hasNewData(), markAsRead()); the value a wait resolves with or an iterator yields
// does. Writes come from another process (test/fixtures/peer.js) or this one, spaced apart (each
// waits until every consumer has the previous value), so that coalescing never applies.
'use strict';
const assert = require('assert');
const { useSegments, peekSegment, within, settlesAtOnce } = require('./helpers');

const HINT_REVISION = 1; // header byte a watcher sets while it waits (README, Decisions)
const ACK = 8; // v2 header offset of ack (SPEC 3.1)

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once a watcher of `name` waits on the revision word (the wait or listener is armed). */
async function watcherArmed(name, ms = 3000) {
  const end = Date.now() + ms;
  while (peekSegment(name, HINT_REVISION, 1)[0] === 0) {
    if (Date.now() > end) throw new Error(`no watcher started on ${name} within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Values a consumer received, with next(value) resolving once `value` is among them. */
class Received {
  constructor(what) {
    this.what = what;
    this.values = [];
    this.waiters = [];
  }

  push(value) {
    this.values.push(value);
    for (const w of this.waiters.filter((x) => x.value === value)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  has(value, ms = 3000) {
    if (this.values.includes(value)) return Promise.resolve();
    return within(new Promise((resolve) => this.waiters.push({ value, resolve })), ms, `${this.what} waiting for ${value}`);
  }
}

describe('71 several consumers of one reader', () => {
  const res = useSegments();

  async function peerWriter(name) {
    const peer = await res.forkPeer();
    const { id } = await peer.call('open', { role: 'writer', name, size: 4096, persistent: true });
    return (value) => peer.call('write', { id, kind: 'string', value });
  }

  it("a 'change' listener and waitForChange() on one reader, writes from another process: every wait resolves with its value, none times out", async () => {
    const name = res.name();
    const write = await peerWriter(name);
    const r = res.reader(name);
    const heard = new Received("the 'change' listener");
    r.on('change', (v) => heard.push(v));
    const waited = [];
    for (let i = 0; i < 10; i++) {
      const p = r.waitForChange({ timeout: 3000 });
      await watcherArmed(name);
      await write(`value ${i}`);
      waited.push(await p);
      await heard.has(`value ${i}`);
    }
    assert.deepStrictEqual(waited, Array.from({ length: 10 }, (_, i) => `value ${i}`));
    assert.deepStrictEqual(heard.values, waited, 'the listener missed a value or got one twice');
  });

  it("a value a 'change' listener received is still unread: hasNewData() stays true and waitForChange() resolves with it at once", async () => {
    const name = res.name();
    const write = await peerWriter(name);
    const r = res.reader(name);
    const heard = new Received("the 'change' listener");
    r.on('change', (v) => heard.push(v));
    await watcherArmed(name);
    for (let i = 0; i < 3; i++) {
      await write(`from the peer ${i}`);
      await heard.has(`from the peer ${i}`);
      assert.strictEqual(r.hasNewData(), true, `the listener's read of write ${i} counted as this reader's read`);
      const p = r.waitForChange({ timeout: 1000 });
      assert.strictEqual(await settlesAtOnce(p), 'settled', `waitForChange() waited although the application never read write ${i}`);
      assert.strictEqual(await p, `from the peer ${i}`);
      assert.strictEqual(r.hasNewData(), false, 'the value waitForChange() resolved with counts as read');
    }
    assert.deepStrictEqual(heard.values, ['from the peer 0', 'from the peer 1', 'from the peer 2']);
  });

  it("the same for payloads the engine reads (above the fast path's 2 KiB) and every payload type", async () => {
    const name = res.name();
    const w = res.writer(name, 1 << 16, true);
    const r = res.reader(name);
    const heard = new Received("the 'change' listener");
    r.on('change', (v) => heard.push(typeof v === 'string' ? v : `${v.constructor.name} ${v.length}`));
    await watcherArmed(name);
    const cases = [
      ['x'.repeat(10000), () => w.writeString('x'.repeat(10000))],
      ['Float32Array 3', () => w.writeFloatArray(new Float32Array(3))],
      ['Float64Array 1000', () => w.writeDoubleArray(new Float64Array(1000))],
      ['Buffer 5', () => w.writeBuffer(Buffer.alloc(5))],
    ];
    for (const [seen, write] of cases) {
      write();
      await heard.has(seen);
      assert.strictEqual(r.hasNewData(), true, `the listener's read of ${seen.slice(0, 20)} counted as this reader's read`);
    }
    const value = await r.waitForChange({ timeout: 1000 });
    assert.deepStrictEqual([...value], [0, 0, 0, 0, 0]);
    assert.strictEqual(r.hasNewData(), false);
  });

  it('two waitForChange() pending on one reader both resolve on one write, with its value', async () => {
    const name = res.name();
    const w = res.writer(name, 1024, true);
    const r = res.reader(name);
    w.writeString('before');
    assert.strictEqual(r.readString(), 'before');
    for (let i = 0; i < 5; i++) {
      const first = r.waitForChange({ timeout: 2000 });
      const second = r.waitForChange({ timeout: 2000 });
      await watcherArmed(name);
      w.writeString(`one write ${i}`);
      const got = await within(Promise.all([first, second]), 3000, `both waits for write ${i}`);
      assert.deepStrictEqual(got, [`one write ${i}`, `one write ${i}`]);
    }
  });

  it('two pending waits and a listener, writes from another process: both waits resolve on the same write', async () => {
    const name = res.name();
    const write = await peerWriter(name);
    const r = res.reader(name);
    const heard = new Received("the 'change' listener");
    r.on('change', (v) => heard.push(v));
    for (let i = 0; i < 5; i++) {
      const both = Promise.all([r.waitForChange({ timeout: 3000 }), r.waitForChange({ timeout: 3000 })]);
      await watcherArmed(name);
      await write(`shared ${i}`);
      assert.deepStrictEqual(await both, [`shared ${i}`, `shared ${i}`]);
      await heard.has(`shared ${i}`);
    }
  });

  it("two `for await` loops and a 'change' listener on one reader each see each of 8 writes from another process", async () => {
    const name = res.name();
    const write = await peerWriter(name);
    const r = res.reader(name);
    const consumers = [new Received('iterator A'), new Received('iterator B'), new Received("the 'change' listener")];
    r.on('change', (v) => consumers[2].push(v));
    const loop = async (into) => {
      for await (const v of r) into.push(v);
    };
    const loops = [loop(consumers[0]), loop(consumers[1])];
    await watcherArmed(name);
    await delay(20); // both loops are waiting
    const expected = [];
    for (let i = 0; i < 8; i++) {
      const value = `spaced ${i}`;
      expected.push(value);
      await write(value);
      // The next write only once every consumer has this one: no coalescing.
      await Promise.all(consumers.map((c) => c.has(value)));
    }
    r.close();
    await within(Promise.all(loops), 2000, 'the loops ending on close()');
    for (const c of consumers) assert.deepStrictEqual(c.values, expected, `${c.what} did not see each write exactly once`);
  });

  it('an iterator started while another runs yields from the next write on, and neither takes values from the other', async () => {
    const name = res.name();
    const w = res.writer(name, 1024, true);
    const r = res.reader(name);
    const a = new Received('iterator A');
    const b = new Received('iterator B');
    const loop = async (into) => {
      for await (const v of r) into.push(v);
    };
    const loops = [loop(a)];
    await watcherArmed(name);
    w.writeString('only A');
    await a.has('only A');
    loops.push(loop(b));
    await delay(20);
    for (let i = 0; i < 4; i++) {
      w.writeString(`both ${i}`);
      await Promise.all([a.has(`both ${i}`), b.has(`both ${i}`)]);
    }
    r.close();
    await within(Promise.all(loops), 2000, 'the loops ending on close()');
    assert.deepStrictEqual(a.values, ['only A', 'both 0', 'both 1', 'both 2', 'both 3']);
    assert.deepStrictEqual(b.values, ['both 0', 'both 1', 'both 2', 'both 3']);
  });

  it("a 'change' listener never acknowledges: the writer's isMessageRead() stays false until the application calls markAsRead()", async () => {
    const name = res.name();
    const w = res.writer(name, 1024, true);
    const r = res.reader(name);
    const heard = new Received("the 'change' listener");
    r.on('change', (v) => heard.push(v));
    await watcherArmed(name);
    for (let i = 0; i < 3; i++) {
      w.writeString(`unacknowledged ${i}`);
      await heard.has(`unacknowledged ${i}`);
      assert.strictEqual(w.isMessageRead(), false, `write ${i} was acknowledged by a listener alone`);
      assert.strictEqual(peekSegment(name, ACK, 4).readUInt32LE(0), 0, 'ack moved');
    }
    // markAsRead() acknowledges what this reader read, which a listener's value is not.
    assert.strictEqual(r.readString(), 'unacknowledged 2');
    assert.strictEqual(w.isMessageRead(), false, 'a read alone acknowledges nothing');
    r.markAsRead();
    assert.strictEqual(w.isMessageRead(), true);
    assert.strictEqual(peekSegment(name, ACK, 4).readUInt32LE(0), r.revision);
  });

  it('`for await` with markAsRead() in the loop acknowledges each value it yielded, a listener attached or not', async () => {
    const name = res.name();
    const w = res.writer(name, 1024, true);
    const r = res.reader(name);
    r.on('change', () => {});
    const acked = [];
    const loop = (async () => {
      for await (const v of r) {
        r.markAsRead();
        acked.push(v);
        if (v === 'last') break;
      }
    })();
    await watcherArmed(name);
    for (const value of ['first', 'second', 'last']) {
      w.writeString(value);
      await w.waitForRead({ timeout: 2000 });
    }
    await within(loop, 2000, 'the loop');
    assert.deepStrictEqual(acked, ['first', 'second', 'last']);
  });
});
