// Compile-time checks of breakLock() and options.staleLockTimeout (index.d.ts).
import { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, NodeSharedMemoryQueue, LockBrokenInfo } from '../..';

const w = new NodeSharedMemoryWriteStream('types-break', 4096, false, { lockTimeout: 1000, staleLockTimeout: 200 });
const broken: number | false = w.breakLock();
const forced: number | false = w.breakLock({ force: true });
w.on('lockBroken', (info) => {
  const lock: 'write' | 'producer' | 'consumer' = info.lock;
  const holder: number = info.holder + info.staleLockTimeout;
  void [lock, holder];
});
// @ts-expect-error force is a boolean
w.breakLock({ force: 1 });

const r = new NodeSharedMemoryReadStream('types-break', undefined, true, { staleLockTimeout: 200 });
const readerBroken: number | false = r.breakLock();
r.on('lockBroken', (info: LockBrokenInfo) => { void info; }).on('change', () => {});

const q = new NodeSharedMemoryQueue('types-break-q', 8, 64, false, true, { staleLockTimeout: 100 });
const both: { producer: number | false; consumer: number | false } = q.breakLock();
const producer: number | false = q.breakLock({ lock: 'producer', force: false }).producer;
q.on('lockBroken', (info) => { const h: number = info.holder; void h; });
// @ts-expect-error the locks are 'producer', 'consumer' or 'both'
q.breakLock({ lock: 'writer' });

void [broken, forced, readerBroken, both, producer];
