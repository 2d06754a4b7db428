/**
 * The host's only door to the kernel: a handful of libc symbols opened with
 * `Deno.dlopen` on an ABSOLUTE path, lazily, the first time an import needs one
 * (a VERSION call never pays for it).
 *
 * Deno only honours `--allow-ffi=<path>` when dlopen gets that exact string, and
 * `Deno.UnsafePointerView` needs unscoped ffi, so pointed-to memory (errno) is
 * copied out with libc `memcpy`. Every call here is synchronous: it runs on the
 * JS main thread, which is what makes the setns dance in netns.ts safe.
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */

/** Absolute glibc path per `uname -m` (Debian multiarch layout). */
export const LIBC_PATHS: Readonly<Record<string, string>> = {
  x86_64: "/lib/x86_64-linux-gnu/libc.so.6",
  aarch64: "/lib/aarch64-linux-gnu/libc.so.6",
};

/** Always needed once any import runs: errno access and plain file descriptors. */
const CORE_SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" },
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
  // open(2) is variadic; the mode travels as a plain third integer argument.
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  abort: { parameters: [], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Namespaces and netlink sockets. */
const NETLINK_SYMBOLS = {
  setns: { parameters: ["i32", "i32"], result: "i32" },
  // ioctl(2) is variadic; NS_GET_NSTYPE takes no argument.
  ioctl: { parameters: ["i32", "u64"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** File metadata and small reads: /dev/tapN, the IPAM plugin lookup, sysfs. */
const FILE_SYMBOLS = {
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The IPAM plugin's stdin pipe. */
const PIPE_SYMBOLS = {
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  // fcntl(2) is variadic; every command used here takes one integer.
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols<T extends Deno.ForeignLibraryInterface> = Deno.DynamicLibrary<T>["symbols"];

/**
 * A lazily opened libc plus errno access. Symbols come in groups, each bound on
 * first use: binding costs ~0.3 ms per symbol, and a VERSION call needs none.
 */
export class Libc {
  readonly #path: string;
  #core: Symbols<typeof CORE_SYMBOLS> | null = null;
  #netlink: Symbols<typeof NETLINK_SYMBOLS> | null = null;
  #files: Symbols<typeof FILE_SYMBOLS> | null = null;
  #pipes: Symbols<typeof PIPE_SYMBOLS> | null = null;
  #errnoPointer: Deno.PointerValue = null;
  readonly #errnoBytes = new Int32Array(1);

  /** @param path absolute libc path, e.g. {@link LIBC_PATHS}.x86_64 */
  constructor(path: string) {
    this.#path = path;
  }

  /** Absolute path given to dlopen (and to `--allow-ffi`). */
  get path(): string {
    return this.#path;
  }

  /**
   * open, close, abort (and errno's helpers). Every group getter opens the library on first
   * use and throws an Error naming the path when dlopen fails (missing file, no permission).
   *
   * Requires `--allow-ffi=<path>`.
   */
  get core(): Symbols<typeof CORE_SYMBOLS> {
    return this.#core ??= this.#open(CORE_SYMBOLS);
  }

  /** setns, ioctl and the socket calls. Requires `--allow-ffi=<path>`. */
  get netlink(): Symbols<typeof NETLINK_SYMBOLS> {
    return this.#netlink ??= this.#open(NETLINK_SYMBOLS);
  }

  /** read, readlink, statx, fchownat. Requires `--allow-ffi=<path>`. */
  get files(): Symbols<typeof FILE_SYMBOLS> {
    return this.#files ??= this.#open(FILE_SYMBOLS);
  }

  /** pipe2, write, dup2, fcntl. Requires `--allow-ffi=<path>`. */
  get pipes(): Symbols<typeof PIPE_SYMBOLS> {
    return this.#pipes ??= this.#open(PIPE_SYMBOLS);
  }

  /** errno of the calling (main) thread; read it right after the failing call. */
  errno(): number {
    const core = this.core;
    this.#errnoPointer ??= core.__errno_location();
    core.memcpy(this.#errnoBytes, this.#errnoPointer, 4n);
    return this.#errnoBytes[0];
  }

  /** Turns a libc "-1 and errno" result into "-errno", passing other values through. */
  check(result: number | bigint): number {
    const value = Number(result);
    return value < 0 ? -this.errno() : value;
  }

  #open<T extends Deno.ForeignLibraryInterface>(symbols: T): Symbols<T> {
    if (!this.#path.startsWith("/")) {
      throw new Error(
        `Cannot open libc "${this.#path}": the path must be absolute (it must equal --allow-ffi)`,
      );
    }
    try {
      return Deno.dlopen(this.#path, symbols).symbols;
    } catch (error) {
      throw new Error(`Cannot open libc "${this.#path}": ${(error as Error).message}`);
    }
  }
}

/** libc path for a machine architecture (`Deno.build.arch` or `uname -m`), or null when unknown. */
export function libcPathFor(arch: string): string | null {
  return LIBC_PATHS[arch === "arm64" ? "aarch64" : arch] ?? null;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text` for a `const char *` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(encoder.encode(text).length + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}
