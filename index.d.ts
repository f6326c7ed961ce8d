// Types of node-libsharedmemory's public API.
import { EventEmitter } from 'events';

/** Set in the flags byte by every write, toggled each time. */
export const kMemoryChanged: 1;
/** Type bit of a UTF-8 string payload. */
export const kMemoryTypeString: 2;
/** Type bit of a Float32Array payload. */
export const kMemoryTypeFloat: 4;
/** Type bit of a Float64Array payload. */
export const kMemoryTypeDouble: 8;
/** Type bit of raw bytes (writeBuffer); added by this project. */
export const kMemoryTypeBuffer: 16;

/** "__node-sharedmemory$", the name used when none is given. */
export const DEFAULT_NAME: string;
/** 65535, the writer's segment size when none is given. */
export const DEFAULT_SIZE: number;
/** 1000, milliseconds a v2 lock wait lasts before ERR_SHM_LOCK_TIMEOUT. */
export const DEFAULT_LOCK_TIMEOUT_MS: number;
/** 2, milliseconds: the longest a change by a peer that wakes nobody goes unnoticed. */
export const DEFAULT_POLL_INTERVAL_MS: number;

/** Wire layout: libsharedmemory 2.x ('v2'), 1.x ('v1'), or cpp_libsharedmemory 0.0.9 ('v0'). */
export type Layout = 'v2' | 'v1' | 'v0';

export interface StreamOptions {
  /** Wire layout of the segment; default 'v2'. */
  layout?: Layout;
  /** Milliseconds to wait for the v2 lock before throwing ERR_SHM_LOCK_TIMEOUT; default 1000. */
  lockTimeout?: number;
  /** Milliseconds: bounds how late a change by a peer that wakes nobody is noticed; default 2. */
  pollInterval?: number;
  /**
   * Opt-in, layout v2: milliseconds (below lockTimeout) after which a wait takes the lock over from
   * a holder whose lock word and the revision have not changed (a libsharedmemory peer that died
   * holding it stores 1, which otherwise only times out), unless the holder is known alive. Each
   * takeover is reported: a 'lockBroken' event, or a process warning when nobody listens. Off by default.
   */
  staleLockTimeout?: number;
}

/** What the staleLockTimeout rule took over ('lockBroken' event). */
export interface LockBrokenInfo {
  /** 'write' (a stream's lock), 'producer' or 'consumer' (a queue's). */
  lock: 'write' | 'producer' | 'consumer';
  /** The lock word taken over: 1 for a libsharedmemory peer, otherwise a process id. */
  holder: number;
  staleLockTimeout: number;
}

export interface BreakLockOptions {
  /** Break the lock even when its holder is a process known to be alive (its operation is torn and repaired). */
  force?: boolean;
}

export interface QueueBreakLockOptions extends BreakLockOptions {
  /** The lock(s) to break; default 'both'. */
  lock?: 'producer' | 'consumer' | 'both';
}

export interface ReadStreamOptions extends StreamOptions {
  /** Map read-only (always so for layouts v1 and v0). A read-only v2 reader cannot markAsRead(). */
  readOnly?: boolean;
  /**
   * Follow the name when a peer replaces the segment under it (a C++ writer restarting: its
   * create() removes the name and makes a new segment), checked at least every pollInterval on
   * reads and at every poll tick of a watch, and emit 'reattach'; default true. false: keep the
   * segment mapped at open whatever happens to the name.
   */
  reattach?: boolean;
}

/** Options of every wait…() method. */
export interface WaitOptions {
  /** Milliseconds before the Promise rejects with ERR_SHM_TIMEOUT. */
  timeout?: number;
  /** Aborting rejects the Promise with an AbortError. */
  signal?: AbortSignal;
}

/** The value of a payload, by its type bits. */
export type Payload = string | Float32Array | Float64Array | Buffer;

export interface WriteStreamOptions extends StreamOptions {
  /** Permission bits of a segment this writer creates; default 0o600. Applied without the umask. */
  mode?: number;
  /**
   * Attach even when the existing segment belongs to another user. Default false: such a segment
   * (e.g. one a local user made first, mode 0666, to read what is written and inject values) is
   * refused with an EPERM error naming its owner and mode, and left as it is.
   */
  allowForeignOwner?: boolean;
  /**
   * Default true: on an existing segment, start from a new segment's header (flags 0, size 0; in v2
   * a new revision with ack equal to it), in place and under the write lock, as the original's
   * writers started from a new segment. false attaches keeping the value. Readers never reset.
   */
  reset?: boolean;
}

/** Errors from the OS or the engine carry a code to switch on. */
export interface SharedMemoryError extends Error {
  /** 'ENOENT', 'EACCES', 'EPERM', 'ENOSPC', 'ENOMEM', … or ERR_SHM_CLOSED, ERR_SHM_LAYOUT, ERR_SHM_SIZE, ERR_SHM_TOO_LARGE, ERR_SHM_LOCK_TIMEOUT, ERR_SHM_LOCK_HELD, ERR_SHM_FAULT, ERR_SHM_UNSUPPORTED, ERR_SHM_READ_ONLY, ERR_SHM_TIMEOUT, or Node's ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_INVALID_STATE, ERR_INVALID_THIS, ERR_ILLEGAL_CONSTRUCTOR, ABORT_ERR (README, Errors) */
  code: string;
  /** The segment concerned. */
  segment?: string;
  /** Negative errno, for OS errors. */
  errno?: number;
  /** The failing system call, for OS errors. */
  syscall?: string;
}

declare class SharedMemoryStream extends EventEmitter {
  /** The segment's name. */
  readonly name: string;
  /** Bytes mapped: the whole segment, header included. */
  readonly size: number;
  readonly layout: Layout;
  /** false: the segment is removed when this object is closed or collected. */
  readonly persistent: boolean;
  /** true once close() has been called. */
  readonly closed: boolean;
  /** Whether the mapping is read-only. */
  readonly readOnly: boolean;
  /** Incremented by every write (layout v2; ERR_SHM_UNSUPPORTED otherwise). */
  readonly revision: number;
  /** The flags byte: kMemoryChanged toggled by each write, plus the payload's type bit. */
  readFlags(): number;
  /**
   * Takes the v2 lock over from whoever holds it (a libsharedmemory peer that died holding it),
   * repairs the value (empty, no type bit) and releases it. Returns the lock word broken, or false
   * when the lock was free. ERR_SHM_LOCK_HELD for a holder known alive unless force; ERR_SHM_READ_ONLY
   * on a read-only mapping; ERR_SHM_UNSUPPORTED on v1/v0.
   */
  breakLock(options?: BreakLockOptions): number | false;
  on(event: 'lockBroken', listener: (info: LockBrokenInfo) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Lets the process exit while this stream watches. */
  unref(): this;
  /** Undoes unref(). */
  ref(): this;
  /** Releases the mapping (and removes a non-persistent segment), then emits 'close'. Idempotent. */
  close(): void;
  [Symbol.dispose](): void;
}

/** Creates a segment, or attaches to an existing one (growing it to `size`), and writes to it. */
export class NodeSharedMemoryWriteStream extends SharedMemoryStream {
  constructor(name?: string, size?: number, persistent?: boolean, options?: WriteStreamOptions);
  /** Writes a string as UTF-8. RangeError (ERR_SHM_TOO_LARGE) if it does not fit. */
  writeString(value: string): void;
  writeFloatArray(value: Float32Array): void;
  writeDoubleArray(value: Float64Array): void;
  /** Writes the bytes of any Buffer, TypedArray or DataView, with type bit kMemoryTypeBuffer. */
  writeBuffer(value: ArrayBufferView): void;
  /** Whether a reader has marked the latest write as read (ack == revision; layout v2). */
  isMessageRead(): boolean;
  /** Resolves when a reader has marked the latest write as read (layout v2). */
  waitForRead(options?: WaitOptions): Promise<void>;
}

/** Opens an existing segment and reads from it. Without `size`, maps the segment's real size. */
export class NodeSharedMemoryReadStream extends SharedMemoryStream implements AsyncIterable<Payload | null> {
  constructor(name?: string, size?: number, persistent?: boolean, options?: ReadStreamOptions);
  readString(): string;
  /** A copy of the payload as float32 elements (floor(bytes / 4) of them). */
  readFloatArray(): Float32Array;
  /** A copy of the payload as float64 elements (floor(bytes / 8) of them). */
  readDoubleArray(): Float64Array;
  /** The payload's bytes, whatever its type. */
  readBuffer(): Buffer;
  /** The value by its type bits; null when nothing has been written. */
  read(): Payload | null;
  /** Copies the payload into target; returns elements written (bytes for byte views). RangeError if it does not fit. */
  readInto(target: ArrayBufferView): number;
  /**
   * The revision moved since this reader last read (layout v2). Reads that count: read*(),
   * readInto(), the value of waitForChange() and each value of an async iterator; not the value of
   * a 'change' event.
   */
  hasNewData(): boolean;
  /** Stores the revision of the value this reader last read (see hasNewData) into ack (layout v2). */
  markAsRead(): void;
  /**
   * Resolves with the current value at once if this reader has not read it (hasNewData()), else
   * with the value of the first write after the call; every pending wait resolves on that write.
   * The value counts as read (layout v2).
   */
  waitForChange(options?: WaitOptions): Promise<Payload | null>;
  /**
   * Each new value until close(); quick writes may coalesce into the last. Each iterator keeps its
   * own place, so several loops on one reader each see each change; each value counts as read.
   */
  [Symbol.asyncIterator](): AsyncIterator<Payload | null>;
  /** Each new value; a listener's value does not count as this reader's read (hasNewData, markAsRead). */
  on(event: 'change', listener: (value: Payload | null) => void): this;
  on(event: 'lockBroken', listener: (info: LockBrokenInfo) => void): this;
  /** This reader now maps a new segment under its name (options.reattach); its value counts as unread. */
  on(event: 'reattach', listener: () => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (err: SharedMemoryError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** How a queue returns messages: 'utf8' as strings, 'buffer' as Buffers. */
export type QueueEncoding = 'utf8' | 'buffer';

/** The type of the messages a queue of encoding E returns (string | Buffer when E is not known). */
export type QueueMessage<E extends QueueEncoding> = E extends 'buffer' ? Buffer : string;

export interface QueueOptions<E extends QueueEncoding = QueueEncoding> {
  /** 'v2' (libsharedmemory 2.x, locks, many producers and consumers) or 'v1' (1.x, one of each). */
  layout?: 'v2' | 'v1';
  /** 'utf8' (default): messages are returned as strings; 'buffer': as Buffers. */
  encoding?: E;
  /** Permission bits of a queue this object creates; default 0o600. */
  mode?: number;
  /** Milliseconds to wait for a v2 lock; default 1000. */
  lockTimeout?: number;
  /** Milliseconds: bounds how late a peer that wakes nobody is noticed by a wait; default 2. */
  pollInterval?: number;
  /** As for streams (StreamOptions.staleLockTimeout), for the producer and consumer locks of layout v2. */
  staleLockTimeout?: number;
  /**
   * Attach (either end, writer or not) even when the existing segment belongs to another user. Default false: such a segment
   * (e.g. one a local user made first, mode 0666, to read what is written and inject values) is
   * refused with an EPERM error naming its owner and mode, and left as it is.
   */
  allowForeignOwner?: boolean;
  /**
   * isWriter false only: follow the name when a peer replaces the queue under it (a C++ queue
   * writer restarting), checked at least every pollInterval by the operations and at every poll
   * tick of a wait, and emit 'reattach'; default true. false: keep the queue opened.
   */
  reattach?: boolean;
}

/**
 * libsharedmemory's SharedMemoryQueue: a bounded FIFO of messages shared across processes. T is the
 * type of the messages it returns, which its encoding decides (a declaration merged with the value
 * below, whose constructor infers T from options.encoding).
 */
export interface NodeSharedMemoryQueue<T extends string | Buffer = string> extends EventEmitter, AsyncIterable<T> {
  readonly name: string;
  readonly capacity: number;
  readonly maxMessageSize: number;
  /** Messages in the queue now. */
  readonly size: number;
  /** Bytes of the segment. */
  readonly byteLength: number;
  readonly layout: 'v2' | 'v1';
  readonly persistent: boolean;
  readonly closed: boolean;
  isEmpty(): boolean;
  isFull(): boolean;
  /** Appends a message; false when the queue is full. RangeError if larger than maxMessageSize. */
  enqueue(value: string | ArrayBufferView): boolean;
  /** Removes and returns the oldest message; undefined when empty. */
  dequeue(): T | undefined;
  /** Returns the oldest message without removing it; undefined when empty. */
  peek(): T | undefined;
  /** Resolves once the value is enqueued, waiting while the queue is full. */
  enqueueWait(value: string | ArrayBufferView, options?: WaitOptions): Promise<void>;
  /** Resolves with the oldest message, waiting while the queue is empty. */
  dequeueWait(options?: WaitOptions): Promise<T>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
  /**
   * Takes the v2 lock(s) over from whoever holds them (a libsharedmemory peer that died holding
   * one), repairs the indices and count, and releases them. Each field: the lock word broken, or
   * false (free, or not asked for). ERR_SHM_LOCK_HELD for a holder known alive unless force.
   */
  breakLock(options?: QueueBreakLockOptions): { producer: number | false; consumer: number | false };
  on(event: 'lockBroken', listener: (info: LockBrokenInfo) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  unref(): this;
  ref(): this;
  close(): void;
  [Symbol.dispose](): void;
  /** This queue now uses a new segment under its name (options.reattach), with its capacity and sizes. */
  on(event: 'reattach', listener: () => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface NodeSharedMemoryQueueConstructor {
  /**
   * isWriter true (default) creates the queue, or attaches to an existing one whose header matches;
   * false opens an existing queue (capacity and maxMessageSize may then be omitted). The messages
   * are strings, or Buffers with `{ encoding: 'buffer' }` (E is inferred from it).
   */
  new <E extends QueueEncoding = 'utf8'>(name: string, capacity?: number, maxMessageSize?: number, persistent?: boolean,
    isWriter?: boolean, options?: QueueOptions<E>): NodeSharedMemoryQueue<QueueMessage<E>>;
  readonly prototype: NodeSharedMemoryQueue<string | Buffer>;
}

/**
 * A class at run time (`instanceof`, `extends`); typed as a constructor so that the messages' type
 * follows `options.encoding`, which a class constructor cannot express.
 */
export const NodeSharedMemoryQueue: NodeSharedMemoryQueueConstructor;

export interface SharedMemoryCreateOptions {
  /** Permission bits of a created segment; default 0o600. */
  mode?: number;
  /** false: the name is removed on close(); default true. */
  persistent?: boolean;
  /**
   * Attach even when the existing segment belongs to another user. Default false: such a segment
   * (e.g. one a local user made first, mode 0666, to read what is written and inject values) is
   * refused with an EPERM error naming its owner and mode, and left as it is.
   */
  allowForeignOwner?: boolean;
}

export interface SharedMemoryOpenOptions {
  /** Bytes to map; default the whole segment. */
  size?: number;
  readOnly?: boolean;
  persistent?: boolean;
}

/** A raw segment (libsharedmemory's Memory, Python's SharedMemory). */
export class SharedMemory {
  private constructor();
  static create(name: string, size: number, options?: SharedMemoryCreateOptions): SharedMemory;
  static open(name: string, options?: SharedMemoryOpenOptions): SharedMemory;
  readonly name: string;
  /** Bytes mapped. */
  readonly size: number;
  readonly readOnly: boolean;
  readonly persistent: boolean;
  readonly closed: boolean;
  /** The mapping itself (zero copy); detached by close(). */
  readonly buffer: ArrayBuffer;
  /** Copies bytes out (default: from offset to the end). */
  read(offset?: number, length?: number): Buffer;
  /** Copies bytes in; returns the number written. */
  write(offset: number, data: ArrayBufferView): number;
  /** Removes the name; mappings stay usable. */
  unlink(): void;
  close(): void;
  [Symbol.dispose](): void;
}

/** Removes a segment's name. Processes that have it mapped keep their mapping. */
export function unlink(name: string): void;

/** A lock word as inspect() reads it. */
export interface SegmentLockInfo {
  state: 'free' | 'held';
  /** The lock word: 0 when free, 1 for a libsharedmemory (C++) holder, else the holder's pid. */
  holder: number;
  /** Whether the holder is a live process in this PID namespace; null when free or not knowable (holder 1). */
  alive: boolean | null;
}

/** What inspect() and list() say of a segment. Looking changes nothing in it. */
export interface SegmentInfo {
  name: string;
  /**
   * 'stream' or 'queue' as detected; 'blank': a header of zeros (or 0 bytes); 'raw': readable but
   * no layout fits (a SharedMemory's bytes); 'unknown': list() could not map it (see error).
   */
  kind: 'stream' | 'queue' | 'raw' | 'blank' | 'unknown';
  /** The detected layout of a stream or queue; null otherwise. */
  layout: Layout | null;
  /** Bytes of the whole segment. */
  size: number;
  /** The owning user (null where the OS tells none); user is null when the uid has no name. */
  owner: { uid: number; user: string | null } | null;
  /** Permission bits; null where the OS tells none. */
  mode: number | null;
  /** Last modification; null when unknown. */
  mtime: Date | null;
  /** Milliseconds since mtime. */
  age: number | null;
  /** true when mapped or announced is; false only when both are false; null otherwise. */
  inUse: boolean | null;
  /** A process of this PID namespace maps it; null when some process could not be asked. */
  mapped: boolean | null;
  /** A writable stream or queue of this module, in any PID namespace, is open on it. */
  announced: boolean | null;
  /** list() only, kind 'unknown': the code of the error that kept it from being read ('EACCES'). */
  error?: string;
  stream: {
    /** Layout v2 only (null otherwise), as ack. */
    revision: number | null;
    ack: number | null;
    /** The flags byte. */
    flags: number;
    /** The payload's type by its type bit; null when nothing was written. */
    type: 'string' | 'float' | 'double' | 'buffer' | null;
    /** Payload bytes. */
    length: number;
    /** The v2 write lock; null for v1 and v0. */
    lock: SegmentLockInfo | null;
    /** A v1 stream whose header reads the same in layout v0. */
    orV0: boolean;
  } | null;
  queue: {
    count: number;
    capacity: number;
    maxMessageSize: number;
    readIndex: number;
    writeIndex: number;
    /** The v2 producer and consumer locks; null for v1. */
    locks: { producer: SegmentLockInfo; consumer: SegmentLockInfo } | null;
  } | null;
}

/**
 * Describes the named segment (kind and layout as detected, header, lock holders, owner), mapping it
 * read-only for the time of the call: nothing in it changes. ENOENT when there is none.
 */
export function inspect(name: string): SegmentInfo;
/**
 * Every segment this process can see, sorted by name (on Windows the persistent ones; on macOS
 * ERR_SHM_UNSUPPORTED: the OS cannot list them).
 */
export function list(): SegmentInfo[];
