/**
 * The WASI preview1 subset the module may use, written by hand (no node:wasi:
 * it costs ~40 ms of start-up and grants far more than we want).
 *
 * Granted: args and environ (exactly what the host chose to pass), fd_read on
 * stdin, fd_write on stdout/stderr, fd_close on those three, clock_time_get,
 * random_get, proc_exit. Any other preview1 import fails instantiation.
 *
 * Two modes:
 * - "cni": stdin was read fully before the module starts; stdout is buffered
 *   and reaches the real stdout only on a normal exit, so a trap can replace
 *   half a Result with an error object.
 * - "stream": stdin is read on demand and stdout written through, for the
 *   long-running link broker.
 *
 * @module
 */
import type { ModuleMemory } from "./memory.ts";

/** How stdin and stdout behave; see the module doc. */
export type WasiMode = "cni" | "stream";

/** Something bytes can be written to synchronously (Deno.stdout satisfies it). */
export interface ByteSink {
  writeSync(bytes: Uint8Array): number;
}

/** Something bytes can be read from synchronously (Deno.stdin satisfies it). */
export interface ByteSource {
  readSync(into: Uint8Array): number | null;
}

/** What the module sees and where its output goes. */
export interface WasiOptions {
  mode: WasiMode;
  /** argv, argv[0] included. */
  args: string[];
  /** The environment, exactly as the module should see it. */
  env: Record<string, string>;
  /** "cni" mode: the whole stdin, read up front. */
  stdinBytes?: Uint8Array;
  /** "stream" mode: where fd 0 reads from (default Deno.stdin). */
  stdin?: ByteSource;
  /** Default Deno.stdout. */
  stdout?: ByteSink;
  /** Default Deno.stderr. */
  stderr?: ByteSink;
}

/** Thrown by proc_exit to unwind out of the module; carries the exit code. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
    this.name = "ProcExit";
  }
}

/** WASI errno values (wasi_snapshot_preview1 `errno`), not Linux ones. */
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_FAULT = 21;
const ERRNO_INVAL = 28;

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const RANDOM_CHUNK = 65536;

/** One preview1 instance bound to one module's memory. */
export class Wasi {
  readonly #memory: ModuleMemory;
  readonly #options: WasiOptions;
  readonly #args: Uint8Array[];
  readonly #environ: Uint8Array[];
  readonly #stdout: ByteSink;
  readonly #stderr: ByteSink;
  readonly #buffered: Uint8Array[] = [];
  readonly #closed = new Set<number>();
  #stdinOffset = 0;

  constructor(memory: ModuleMemory, options: WasiOptions) {
    this.#memory = memory;
    this.#options = options;
    const encoder = new TextEncoder();
    this.#args = options.args.map((arg) => encoder.encode(`${arg}\0`));
    this.#environ = Object.entries(options.env).map(([key, value]) => encoder.encode(`${key}=${value}\0`));
    this.#stdout = options.stdout ?? Deno.stdout;
    this.#stderr = options.stderr ?? Deno.stderr;
  }

  /** The `wasi_snapshot_preview1` import namespace. */
  imports(): Record<string, (...args: never[]) => number> {
    return {
      args_sizes_get: (count: number, size: number) => this.#sizes(this.#args, count, size),
      args_get: (pointers: number, buffer: number) => this.#strings(this.#args, pointers, buffer),
      environ_sizes_get: (count: number, size: number) => this.#sizes(this.#environ, count, size),
      environ_get: (pointers: number, buffer: number) => this.#strings(this.#environ, pointers, buffer),
      fd_read: (fd: number, iovs: number, count: number, nread: number) => this.#read(fd, iovs, count, nread),
      fd_write: (fd: number, iovs: number, count: number, nwritten: number) =>
        this.#write(fd, iovs, count, nwritten),
      fd_close: (fd: number) => this.#close(fd),
      clock_time_get: (id: number, _precision: bigint, out: number) => this.#clock(id, out),
      random_get: (buffer: number, length: number) => this.#random(buffer, length),
      proc_exit: (code: number): never => {
        throw new ProcExit(code);
      },
    };
  }

  /** "cni" mode: writes the buffered stdout for real (the module exited normally). */
  flushStdout(): void {
    for (const chunk of this.#buffered.splice(0)) writeAll(this.#stdout, chunk);
  }

  /** "cni" mode: forgets the buffered stdout (the module trapped). */
  discardStdout(): void {
    this.#buffered.length = 0;
  }

  #sizes(items: Uint8Array[], countPtr: number, sizePtr: number): number {
    const total = items.reduce((sum, item) => sum + item.byteLength, 0);
    const ok = this.#memory.storeU32(countPtr, items.length) && this.#memory.storeU32(sizePtr, total);
    return ok ? ERRNO_SUCCESS : ERRNO_FAULT;
  }

  #strings(items: Uint8Array[], pointers: number, buffer: number): number {
    let cursor = buffer >>> 0;
    for (let i = 0; i < items.length; i++) {
      const target = this.#memory.bytes(cursor, items[i].byteLength);
      if (target === null || !this.#memory.storeU32(pointers + i * 4, cursor)) return ERRNO_FAULT;
      target.set(items[i]);
      cursor += items[i].byteLength;
    }
    return ERRNO_SUCCESS;
  }

  #read(fd: number, iovs: number, count: number, nreadPtr: number): number {
    if (fd !== 0 || this.#closed.has(fd)) return ERRNO_BADF;
    const vectors = this.#iovecs(iovs, count);
    if (vectors === null) return ERRNO_FAULT;
    let total = 0;
    for (const into of vectors) {
      const got = this.#readInto(into);
      total += got;
      if (got < into.byteLength) break;
    }
    return this.#memory.storeU32(nreadPtr, total) ? ERRNO_SUCCESS : ERRNO_FAULT;
  }

  /** Fills `into` from stdin; in stream mode one read(2) at most (a short read is fine). */
  #readInto(into: Uint8Array): number {
    if (this.#options.mode === "cni") {
      const source = this.#options.stdinBytes ?? new Uint8Array(0);
      const chunk = source.subarray(this.#stdinOffset, this.#stdinOffset + into.byteLength);
      into.set(chunk);
      this.#stdinOffset += chunk.byteLength;
      return chunk.byteLength;
    }
    if (into.byteLength === 0) return 0;
    return (this.#options.stdin ?? Deno.stdin).readSync(into) ?? 0;
  }

  #write(fd: number, iovs: number, count: number, nwrittenPtr: number): number {
    if ((fd !== 1 && fd !== 2) || this.#closed.has(fd)) return ERRNO_BADF;
    const vectors = this.#iovecs(iovs, count);
    if (vectors === null) return ERRNO_FAULT;
    let total = 0;
    for (const bytes of vectors) {
      if (fd === 1 && this.#options.mode === "cni") this.#buffered.push(bytes.slice());
      else writeAll(fd === 1 ? this.#stdout : this.#stderr, bytes);
      total += bytes.byteLength;
    }
    return this.#memory.storeU32(nwrittenPtr, total) ? ERRNO_SUCCESS : ERRNO_FAULT;
  }

  #close(fd: number): number {
    if (fd < 0 || fd > 2 || this.#closed.has(fd)) return ERRNO_BADF;
    // Only the module's view closes: the host still needs stdout for the Result or an error.
    this.#closed.add(fd);
    return ERRNO_SUCCESS;
  }

  /** iovec[count] { u32 buf; u32 buf_len } as views, or null if any is out of bounds. */
  #iovecs(iovs: number, count: number): Uint8Array[] | null {
    const table = this.#memory.bytes(iovs, count * 8);
    if (table === null) return null;
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const vectors: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const bytes = this.#memory.bytes(view.getUint32(i * 8, true), view.getUint32(i * 8 + 4, true));
      if (bytes === null) return null;
      vectors.push(bytes);
    }
    return vectors;
  }

  #clock(id: number, out: number): number {
    let nanoseconds: bigint;
    if (id === CLOCK_REALTIME) {
      nanoseconds = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    } else if (id === CLOCK_MONOTONIC) nanoseconds = BigInt(Math.round(performance.now() * 1e6));
    else return ERRNO_INVAL;
    const target = this.#memory.bytes(out, 8);
    if (target === null) return ERRNO_FAULT;
    new DataView(target.buffer, target.byteOffset, 8).setBigUint64(0, nanoseconds, true);
    return ERRNO_SUCCESS;
  }

  #random(buffer: number, length: number): number {
    const target = this.#memory.bytes(buffer, length);
    if (target === null) return ERRNO_FAULT;
    for (let offset = 0; offset < length; offset += RANDOM_CHUNK) {
      crypto.getRandomValues(target.subarray(offset, Math.min(length, offset + RANDOM_CHUNK)));
    }
    return ERRNO_SUCCESS;
  }
}

/** writeSync until every byte is out (pipes accept partial writes). */
export function writeAll(sink: ByteSink, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.byteLength;) offset += sink.writeSync(bytes.subarray(offset));
}

/** Reads a source to its end (the "cni" mode stdin). */
export function readAll(source: ByteSource): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(65536);
    const got = source.readSync(chunk);
    if (got === null || got === 0) break;
    chunks.push(chunk.subarray(0, got));
    total += got;
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}
