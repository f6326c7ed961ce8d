// Types of node-libsharedmemory's public API.

/** Set in the flags byte by every write, toggled each time. */
export const kMemoryChanged: 1;
/** Type bit of a UTF-8 string payload. */
export const kMemoryTypeString: 2;
/** Type bit of a Float32Array payload. */
export const kMemoryTypeFloat: 4;
/** Type bit of a Float64Array payload. */
export const kMemoryTypeDouble: 8;

/** "__node-sharedmemory$", the name used when none is given. */
export const DEFAULT_NAME: string;
/** 65535, the writer's segment size when none is given. */
export const DEFAULT_SIZE: number;
/** 1000, milliseconds a v2 lock wait lasts before ERR_SHM_LOCK_TIMEOUT. */
export const DEFAULT_LOCK_TIMEOUT_MS: number;

/** Wire layout: libsharedmemory 2.x ('v2'), 1.x ('v1'), or cpp_libsharedmemory 0.0.9 ('v0'). */
export type Layout = 'v2' | 'v1' | 'v0';

export interface StreamOptions {
  /** Wire layout of the segment; default 'v2'. */
  layout?: Layout;
  /** Milliseconds to wait for the v2 lock before throwing ERR_SHM_LOCK_TIMEOUT; default 1000. */
  lockTimeout?: number;
}

export interface WriteStreamOptions extends StreamOptions {
  /** Permission bits of a segment this writer creates; default 0o600. Applied without the umask. */
  mode?: number;
}

/** Errors from the OS or the engine carry a code to switch on. */
export interface SharedMemoryError extends Error {
  /** 'ENOENT', 'EACCES', 'ENOSPC', … or ERR_SHM_CLOSED, ERR_SHM_LAYOUT, ERR_SHM_SIZE, ERR_SHM_TOO_LARGE, ERR_SHM_LOCK_TIMEOUT, ERR_SHM_FAULT */
  code: string;
  /** The segment concerned. */
  segment?: string;
  /** Negative errno, for OS errors. */
  errno?: number;
  /** The failing system call, for OS errors. */
  syscall?: string;
}

declare class SharedMemoryStream {
  /** The segment's name. */
  readonly name: string;
  /** Bytes mapped: the whole segment, header included. */
  readonly size: number;
  readonly layout: Layout;
  /** false: the segment is removed when this object is closed or collected. */
  readonly persistent: boolean;
  /** true once close() has been called. */
  readonly closed: boolean;
  /** The flags byte: kMemoryChanged toggled by each write, plus the payload's type bit. */
  readFlags(): number;
  /** Releases the mapping (and removes a non-persistent segment). Idempotent. */
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
}

/** Opens an existing segment and reads from it. Without `size`, maps the segment's real size. */
export class NodeSharedMemoryReadStream extends SharedMemoryStream {
  constructor(name?: string, size?: number, persistent?: boolean, options?: StreamOptions);
  readString(): string;
  /** A copy of the payload as float32 elements (floor(bytes / 4) of them). */
  readFloatArray(): Float32Array;
  /** A copy of the payload as float64 elements (floor(bytes / 8) of them). */
  readDoubleArray(): Float64Array;
}

/** Removes a segment's name. Processes that have it mapped keep their mapping. */
export function unlink(name: string): void;
