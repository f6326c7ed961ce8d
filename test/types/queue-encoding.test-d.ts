// A queue's messages are typed by its encoding (issue 11, item 9): Buffers with
// { encoding: 'buffer' }, strings otherwise, from every method and the async iterator.
import { NodeSharedMemoryQueue, QueueEncoding, QueueMessage, QueueOptions } from '../..';

const strings = new NodeSharedMemoryQueue('types-utf8', 8, 64);
const s1: string | undefined = strings.dequeue();
const s2: string | undefined = strings.peek();
const s3: Promise<string> = strings.dequeueWait();
// @ts-expect-error a queue without an encoding returns strings, not Buffers
const notBuffer: Buffer | undefined = strings.dequeue();

const utf8 = new NodeSharedMemoryQueue('types-utf8', 8, 64, true, true, { encoding: 'utf8', layout: 'v1' });
const u1: string | undefined = utf8.dequeue();
// @ts-expect-error encoding 'utf8' returns strings
const u2: Promise<Buffer> = utf8.dequeueWait();

const bytes = new NodeSharedMemoryQueue('types-buffer', 8, 64, false, true, { encoding: 'buffer' });
const b1: Buffer | undefined = bytes.dequeue();
const b2: Buffer | undefined = bytes.peek();
const b3: Promise<Buffer> = bytes.dequeueWait({ timeout: 5 });
// @ts-expect-error encoding 'buffer' returns Buffers, not strings
const b4: string | undefined = bytes.dequeue();
// @ts-expect-error nor from peek()
const b5: string | undefined = bytes.peek();
// @ts-expect-error nor from dequeueWait()
const b6: Promise<string> = bytes.dequeueWait();
// Either end may enqueue strings or views, whatever it returns.
const b7: boolean = bytes.enqueue('text') && bytes.enqueue(new Uint8Array(2));

// A consumer (isWriter false) with capacity and size from the header.
const consumer = new NodeSharedMemoryQueue('types-buffer', undefined, undefined, true, false, { encoding: 'buffer' });
async function iterate(): Promise<void> {
  for await (const message of consumer) {
    const m: Buffer = message;
    // @ts-expect-error the iterator yields Buffers
    const t: string = message;
    void [m, t];
  }
  for await (const message of strings) {
    const m: string = message;
    // @ts-expect-error the iterator yields strings
    const t: Buffer = message;
    void [m, t];
  }
}

// An encoding known only at run time: either type.
declare const chosen: QueueEncoding;
const either = new NodeSharedMemoryQueue('types-either', 8, 64, true, true, { encoding: chosen });
const e1: string | Buffer | undefined = either.dequeue();
// @ts-expect-error it may be a Buffer
const e2: string | undefined = either.dequeue();

// Options built apart keep their encoding when typed with it.
const opts: QueueOptions<'buffer'> = { encoding: 'buffer', pollInterval: 5 };
const fromOpts: NodeSharedMemoryQueue<Buffer> = new NodeSharedMemoryQueue('types-opts', 8, 64, true, true, opts);
const msg: QueueMessage<'buffer'> = Buffer.alloc(1);

// @ts-expect-error there is no such encoding
new NodeSharedMemoryQueue('types-bad', 8, 64, true, true, { encoding: 'latin1' });
// @ts-expect-error the type parameter of the constructor is the encoding, so a Buffer queue cannot be claimed without it
new NodeSharedMemoryQueue<Buffer>('types-claim', 8, 64);
// @ts-expect-error a string queue is not a Buffer queue
const wrong: NodeSharedMemoryQueue<Buffer> = strings;
// instanceof still narrows (the value is a class at run time).
declare const unknownValue: unknown;
if (unknownValue instanceof NodeSharedMemoryQueue) {
  const q: NodeSharedMemoryQueue<string | Buffer> = unknownValue;
  void q;
}

void [s1, s2, s3, notBuffer, u1, u2, b1, b2, b3, b4, b5, b6, b7, iterate, e1, e2, fromOpts, msg, wrong];
