// Compile-time checks of index.d.ts (npm run test:types): the documented uses type-check, and
// misuses are rejected (each @ts-expect-error fails the build if the line compiles).
import {
  NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, NodeSharedMemoryQueue, SharedMemory,
  kMemoryChanged, kMemoryTypeBuffer, unlink, Payload,
} from '../..';

const w = new NodeSharedMemoryWriteStream('types', 4096, false, { layout: 'v2', mode: 0o600, lockTimeout: 100 });
w.writeString('x');
w.writeFloatArray(new Float32Array(2));
w.writeDoubleArray(new Float64Array(2));
w.writeBuffer(Buffer.from('x'));
const read: boolean = w.isMessageRead();
const acked: Promise<void> = w.waitForRead({ timeout: 10 });
// @ts-expect-error a plain array is not a Float32Array
w.writeFloatArray([1, 2]);
// @ts-expect-error layouts are 'v2' | 'v1' | 'v0'
new NodeSharedMemoryWriteStream('types', 4096, false, { layout: 'v3' });
new NodeSharedMemoryWriteStream('types', 4096, false, { reset: false });
// @ts-expect-error reset is a boolean
new NodeSharedMemoryWriteStream('types', 4096, false, { reset: 'no' });
// @ts-expect-error readers never reset
new NodeSharedMemoryReadStream('types', undefined, true, { reset: false });

const r = new NodeSharedMemoryReadStream('types', undefined, true, { readOnly: false, pollInterval: 5 });
const s: string = r.readString();
const f: Float32Array = r.readFloatArray();
const d: Float64Array = r.readDoubleArray();
const b: Buffer = r.readBuffer();
const v: Payload | null = r.read();
const n: number = r.readInto(new Uint8Array(16));
const flags: number = r.readFlags() & kMemoryChanged & kMemoryTypeBuffer;
const rev: number = r.revision;
r.on('change', (value) => { const p: Payload | null = value; void p; }).unref().ref();
r.on('reattach', () => {}).once('reattach', () => {});
new NodeSharedMemoryReadStream('types', undefined, true, { reattach: false, pollInterval: 5 });
// @ts-expect-error reattach is a boolean
new NodeSharedMemoryReadStream('types', undefined, true, { reattach: 1 });
const next: Promise<Payload | null> = r.waitForChange({ timeout: 5, signal: new AbortController().signal });
async function iterate(): Promise<void> {
  for await (const value of r) { const p: Payload | null = value; void p; }
}
// @ts-expect-error readers do not write
r.writeString('x');
r.close();

const q = new NodeSharedMemoryQueue('types-q', 8, 64, false, true, { layout: 'v1', encoding: 'utf8' });
const ok: boolean = q.enqueue('m') && q.enqueue(new Uint8Array(3));
const m: string | undefined = q.dequeue();
const p: string | undefined = q.peek();
const size: number = q.size + q.capacity + q.maxMessageSize;
const waited: Promise<string> = q.dequeueWait({ timeout: 5 });
const put: Promise<void> = q.enqueueWait('x');
const bq = new NodeSharedMemoryQueue('types-b', 8, 64, false, true, { encoding: 'buffer' });
const fq = new NodeSharedMemoryQueue('types-q', undefined, undefined, true, false, { reattach: false });
fq.on('reattach', () => {}).on('close', () => {});
// @ts-expect-error reattach is a boolean
new NodeSharedMemoryQueue('types-q', undefined, undefined, true, false, { reattach: 'no' });
const bm: Buffer | undefined = bq.dequeue();
// @ts-expect-error numbers are not messages
q.enqueue(42);

const shm = SharedMemory.create('types-raw', 1024, { mode: 0o600, persistent: false });
const view = new Uint8Array(shm.buffer);
const copy: Buffer = shm.read(0, 4);
const written: number = shm.write(0, view.subarray(0, 1));
SharedMemory.open('types-raw', { size: 512, readOnly: true }).close();
// @ts-expect-error the constructor is private: use create() or open()
new SharedMemory();
shm.close();
unlink('types');

void [read, acked, s, f, d, b, v, n, flags, rev, next, iterate, ok, m, p, size, waited, put, bm, copy, written];
