// Compile-time checks of inspect() and list() (index.d.ts).
import { inspect, list, SegmentInfo, SegmentLockInfo } from '../..';

const info: SegmentInfo = inspect('types-inspect');
const kind: 'stream' | 'queue' | 'raw' | 'blank' | 'unknown' = info.kind;
const size: number = info.size;
const inUse: boolean | null = info.inUse;
if (info.stream !== null) {
  const revision: number | null = info.stream.revision;
  const type: 'string' | 'float' | 'double' | 'buffer' | null = info.stream.type;
  const lock: SegmentLockInfo | null = info.stream.lock;
  if (lock !== null && lock.state === 'held') {
    const holder: number = lock.holder;
    const alive: boolean | null = lock.alive;
    void [holder, alive];
  }
  void [revision, type];
}
if (info.queue !== null) {
  const fill: number = info.queue.count / info.queue.capacity;
  void fill;
}
const names: string[] = list().map((i) => i.name);
const uid: number | undefined = info.owner?.uid;
void [kind, size, inUse, names, uid];

// @ts-expect-error inspect takes a name
inspect();
// @ts-expect-error kind is a closed set
const bad: SegmentInfo['kind'] = 'file';
void bad;
