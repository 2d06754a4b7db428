/**
 * Runs an IPAM plugin for the module, synchronously (wasm imports cannot wait
 * for a promise).
 *
 * How, and why this way:
 * - The plugin is `<dir>/<type>` for the first CNI_PATH dir holding an
 *   executable regular file of that name; `type` must be a bare name.
 * - `Deno.Command.outputSync` is the only synchronous spawn, and it cannot take
 *   piped stdin or a timeout. So the child runs under coreutils `timeout`
 *   (TERM at the deadline, KILL shortly after, the whole process group), and
 *   its stdin is a pipe, pre-filled with the config, that we put on fd 0 for
 *   the moment of the spawn (`stdin: "inherit"`). The CNI host has read its
 *   own stdin fully before the module starts, so fd 0 is free.
 * - Deno can only scope `--allow-run` to the program it spawns (`timeout`),
 *   not to timeout's child: the type check and CNI_PATH lookup here are the
 *   boundary. The child's environment is exactly CNI_* plus PATH.
 *
 * Requires `--allow-run=<timeout path>` and `--allow-ffi=<libc path>`.
 *
 * @module
 */
import {
  AT_FDCWD,
  E2BIG,
  EINVAL,
  ENOENT,
  EPERM,
  ETIMEDOUT,
  F_DUPFD_CLOEXEC,
  F_SETPIPE_SZ,
  O_CLOEXEC,
  PIPE_MAX_SIZE,
  S_IFMT,
  S_IFREG,
  STATX_MODE,
  STATX_MODE_OFFSET,
  STATX_SIZE,
  STATX_TYPE,
} from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";

/** Default time an IPAM plugin may run before it is killed. */
export const DEFAULT_IPAM_TIMEOUT_MS = 30_000;

/** Plugin type names: what the CNI spec allows as a binary name, never a path. */
export const IPAM_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** CNI_COMMAND values an IPAM plugin may be run with. */
export const IPAM_COMMANDS: ReadonlySet<string> = new Set(["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"]);

/** How IPAM plugins are run. */
export interface IpamOptions {
  /** The plugin's environment: the CNI_* variables and PATH the host was given (CNI_COMMAND is replaced). */
  env: Record<string, string>;
  /** Absolute path of coreutils `timeout` (the launcher resolves it). */
  timeoutProgram: string;
  /** Kill the plugin after this long; default {@link DEFAULT_IPAM_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** Outcome of one run: exit status (128+signal when killed) and captured stdout. */
export interface IpamRun {
  status: number;
  stdout: Uint8Array;
}

/** Runs IPAM plugins and keeps the last stdout for ipam_output. */
export class IpamRunner {
  readonly #libc: Libc;
  readonly #options: IpamOptions;
  #lastOutput: Uint8Array = new Uint8Array(0);

  constructor(libc: Libc, options: IpamOptions) {
    this.#libc = libc;
    this.#options = options;
  }

  /** Stdout of the last successful {@link exec}. */
  get lastOutput(): Uint8Array {
    return this.#lastOutput;
  }

  /**
   * Runs plugin `type` with CNI_COMMAND=`command` and `stdin`, capturing stdout.
   *
   * Requires `--allow-run=<timeoutProgram>` and `--allow-ffi=<libc path>`.
   *
   * @returns the run, or -EINVAL (bad type/command), -ENOENT (not in CNI_PATH),
   *   -ETIMEDOUT (killed at the deadline), -E2BIG (stdin over 1 MiB), -errno
   */
  exec(type: string, command: string, stdin: Uint8Array): IpamRun | number {
    this.#lastOutput = new Uint8Array(0);
    if (!IPAM_TYPE_PATTERN.test(type) || !IPAM_COMMANDS.has(command)) return -EINVAL;
    const plugin = findPlugin(this.#libc, this.#options.env.CNI_PATH ?? "", type);
    if (plugin === null) return -ENOENT;
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_IPAM_TIMEOUT_MS;
    const started = performance.now();
    const result = withStdinFrom(this.#libc, stdin, () => this.#spawn(plugin, command, timeoutMs));
    if (typeof result === "number") return result;
    const status = result.signal === null ? result.code : 128 + signalNumber(result.signal);
    // timeout(1) exits 124 after TERM worked, 137 after KILL; a plugin's own 124/137 ends earlier.
    if ((status === 124 || status === 137) && performance.now() - started >= timeoutMs) return -ETIMEDOUT;
    this.#lastOutput = result.stdout;
    return { status, stdout: result.stdout };
  }

  #spawn(plugin: string, command: string, timeoutMs: number): Deno.CommandOutput {
    const seconds = (timeoutMs / 1000).toFixed(3);
    return new Deno.Command(this.#options.timeoutProgram, {
      args: ["--kill-after=1", `${seconds}s`, plugin],
      clearEnv: true,
      env: { ...this.#options.env, CNI_COMMAND: command },
      stdin: "inherit",
      stdout: "piped",
      stderr: "inherit",
    }).outputSync();
  }
}

/**
 * `<dir>/<type>` for the first CNI_PATH entry holding an executable regular file.
 * Checked with statx through libc: the host has no `--allow-read` outside its folder.
 */
export function findPlugin(libc: Libc, cniPath: string, type: string): string | null {
  if (!IPAM_TYPE_PATTERN.test(type)) return null;
  const stat = new Uint8Array(STATX_SIZE);
  for (const dir of cniPath.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = `${dir.replace(/\/+$/, "")}/${type}`;
    if (libc.files.statx(AT_FDCWD, cString(candidate), 0, STATX_TYPE | STATX_MODE, stat) !== 0) continue;
    const mode = new DataView(stat.buffer).getUint16(STATX_MODE_OFFSET, true);
    if ((mode & S_IFMT) === S_IFREG && (mode & 0o111) !== 0) return candidate;
  }
  return null;
}

/**
 * Runs `body` with fd 0 replaced by a pipe holding `data`, then puts the old fd 0 back.
 *
 * @returns body's result, or -E2BIG when data cannot fit in a pipe, or -errno
 */
function withStdinFrom<T>(libc: Libc, data: Uint8Array, body: () => T): T | number {
  const pipe = filledPipe(libc, data);
  if (pipe < 0) return pipe;
  // Keep the real stdin aside (it may be closed: then fd 0 is simply closed again afterwards).
  const saved = libc.check(libc.pipes.fcntl(0, F_DUPFD_CLOEXEC, 3));
  const moved = libc.check(libc.pipes.dup2(pipe, 0));
  libc.core.close(pipe);
  if (moved < 0) {
    if (saved >= 0) libc.core.close(saved);
    return moved;
  }
  try {
    return body();
  } finally {
    if (saved >= 0) {
      libc.pipes.dup2(saved, 0);
      libc.core.close(saved);
    } else {
      libc.core.close(0);
    }
  }
}

/** The read end of a pipe that already holds all of `data`, its write end closed. */
function filledPipe(libc: Libc, data: Uint8Array): number {
  if (data.byteLength > PIPE_MAX_SIZE) return -E2BIG;
  const ends = new Int32Array(2);
  const made = libc.check(libc.pipes.pipe2(ends, O_CLOEXEC));
  if (made < 0) return made;
  const [readEnd, writeEnd] = ends;
  const written = fillPipe(libc, writeEnd, data);
  libc.core.close(writeEnd);
  if (written < 0) {
    libc.core.close(readEnd);
    return written;
  }
  return readEnd;
}

/** Writes all of data into an empty pipe, growing it first: a write that does not fit would block forever. */
function fillPipe(libc: Libc, writeEnd: number, data: Uint8Array): number {
  if (data.byteLength > DEFAULT_PIPE_SIZE) {
    const grown = libc.check(libc.pipes.fcntl(writeEnd, F_SETPIPE_SZ, data.byteLength));
    if (grown < 0) return grown === -EPERM ? -E2BIG : grown;
  }
  let offset = 0;
  while (offset < data.byteLength) {
    const chunk = data.subarray(offset) as Uint8Array<ArrayBuffer>;
    const written = libc.check(libc.pipes.write(writeEnd, chunk, BigInt(chunk.byteLength)));
    if (written <= 0) return written < 0 ? written : -E2BIG;
    offset += written;
  }
  return 0;
}

/** Linux pipe capacity before F_SETPIPE_SZ. */
const DEFAULT_PIPE_SIZE = 65536;

/** Signal numbers of the signals a plugin typically dies from (same on x86_64 and aarch64). */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(signal: Deno.Signal): number {
  return SIGNALS[signal] ?? 0;
}
