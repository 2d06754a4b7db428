/**
 * Network namespace handles for the module, and the one place that switches
 * the host thread into another namespace.
 *
 * A netns handle IS a file descriptor (the module puts it in IFLA_NET_NS_FD,
 * which the kernel resolves in this process), but the module may only use
 * descriptors that {@link NetnsTable.open} returned: anything else is -EBADF.
 *
 * Requires `--allow-ffi=<libc path>` (paths are opened through libc, so
 * `--allow-read` is not involved and /proc works without `--allow-all`).
 *
 * @module
 */
import { CLONE_NEWNET, EBADF, EINVAL, EMFILE, NS_GET_NSTYPE, O_CLOEXEC, O_RDONLY } from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";

/** The netns the host thread runs in (nl_open's "no switch" value). */
export const CURRENT_NETNS = -1;

/** At most this many netns handles at once; a CNI call needs two. */
export const MAX_NETNS_HANDLES = 64;

/** Netns descriptors opened for the module. */
export class NetnsTable {
  readonly #libc: Libc;
  readonly #open = new Set<number>();

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * Opens `path` read-only and keeps it only if it is a network namespace.
   *
   * @returns the fd, or -ENOENT (missing), -EINVAL (not a netns), -EMFILE (too many), -errno
   */
  open(path: string): number {
    if (this.#open.size >= MAX_NETNS_HANDLES) return -EMFILE;
    if (path.length === 0 || path.includes("\0")) return -EINVAL;
    const fd = this.#libc.check(this.#libc.core.open(cString(path), O_RDONLY | O_CLOEXEC, 0));
    if (fd < 0) return fd;
    const type = this.#libc.check(this.#libc.netlink.ioctl(fd, BigInt(NS_GET_NSTYPE)));
    if (type !== CLONE_NEWNET) {
      this.#libc.core.close(fd);
      // A regular file answers ENOTTY, another namespace kind its own CLONE_NEW* type: neither is a netns.
      return -EINVAL;
    }
    this.#open.add(fd);
    return fd;
  }

  /** True when `fd` came from {@link open} and is still open. */
  has(fd: number): boolean {
    return this.#open.has(fd);
  }

  /** Closes a handle. @returns 0 or -EBADF for anything {@link open} did not return. */
  close(fd: number): number {
    if (!this.#open.delete(fd)) return -EBADF;
    return this.#libc.check(this.#libc.core.close(fd));
  }

  /** Closes every handle (module exit). */
  closeAll(): void {
    for (const fd of [...this.#open]) this.close(fd);
  }
}

/**
 * Runs `body` with the calling thread inside the netns `target`, and switches back.
 *
 * `body` must be synchronous: an `await` would let other JS run in the target
 * netns. If switching back fails the process aborts: it must never go on in
 * the wrong namespace.
 *
 * @returns body's result, or -errno when entering the namespace failed
 */
export function withinNetns(libc: Libc, target: number, body: () => number): number {
  const home = homeNetns(libc);
  if (home < 0) return home;
  const entered = libc.check(libc.netlink.setns(target, CLONE_NEWNET));
  if (entered < 0) return entered;
  try {
    return body();
  } finally {
    const back = libc.check(libc.netlink.setns(home, CLONE_NEWNET));
    if (back < 0) abortInWrongNetns(libc, -back);
  }
}

let homeFd: number | null = null;

/** An fd of the main thread's own netns, opened once and kept for the process lifetime. */
function homeNetns(libc: Libc): number {
  if (homeFd !== null) return homeFd;
  const fd = libc.check(libc.core.open(cString("/proc/thread-self/ns/net"), O_RDONLY | O_CLOEXEC, 0));
  if (fd >= 0) homeFd = fd;
  return fd;
}

function abortInWrongNetns(libc: Libc, errno: number): never {
  const message =
    `macvtap host: cannot switch back to the host network namespace (errno ${errno}); aborting\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(message));
  libc.core.abort();
  throw new Error("unreachable: abort() returned");
}
