/**
 * NETLINK_ROUTE sockets for the module, behind a handle table: the module sees
 * small indexes (1, 2, ...), never the raw fds, so it can only talk through
 * sockets it opened here.
 *
 * A socket is created inside the requested netns (withinNetns) and stays bound
 * to it for its whole life; everything after creation happens back in the
 * host's namespace. Payloads are sent from and received into views of the
 * module's memory directly (no copy).
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import {
  AF_NETLINK,
  EAGAIN,
  EBADF,
  EINTR,
  EMFILE,
  MSG_DONTWAIT,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOCKADDR_NL_SIZE,
  SOL_NETLINK,
} from "./kernel.ts";
import type { Libc } from "./libc.ts";
import { CURRENT_NETNS, withinNetns } from "./netns.ts";
import { pollReadable } from "./readiness.ts";

/** At most this many sockets at once. */
export const MAX_SOCKETS = 64;

/** Open netlink sockets by handle. */
export class NetlinkSockets {
  readonly #libc: Libc;
  readonly #fds = new Map<number, number>();
  #nextHandle = 1;

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) inside `netnsFd` (or the
   * current netns for {@link CURRENT_NETNS}), bound to `groups`, with NETLINK_EXT_ACK
   * and NETLINK_CAP_ACK on. The caller has already checked that netnsFd is a netns handle.
   *
   * @returns a handle >= 1, or -errno
   */
  open(netnsFd: number, groups: number): number {
    if (this.#fds.size >= MAX_SOCKETS) return -EMFILE;
    const create = () =>
      this.#libc.check(this.#libc.netlink.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    const fd = netnsFd === CURRENT_NETNS ? create() : withinNetns(this.#libc, netnsFd, create);
    if (fd < 0) return fd;
    const configured = this.#configure(fd, groups);
    if (configured < 0) {
      this.#libc.core.close(fd);
      return configured;
    }
    const handle = this.#nextHandle++;
    this.#fds.set(handle, fd);
    return handle;
  }

  /** send(2) of one datagram. @returns bytes sent or -errno (-EBADF for an unknown handle) */
  send(handle: number, payload: Uint8Array<ArrayBuffer>): number {
    const fd = this.#fds.get(handle);
    if (fd === undefined) return -EBADF;
    return this.#libc.check(this.#libc.netlink.send(fd, payload, BigInt(payload.byteLength), 0));
  }

  /**
   * Receives one datagram into `into`, waiting at most `timeoutMs` (-1 = forever).
   * A datagram larger than `into` is truncated by the kernel.
   *
   * @returns bytes received, -EAGAIN on timeout, or -errno
   */
  recv(handle: number, into: Uint8Array<ArrayBuffer>, timeoutMs: number): number {
    const fd = this.#fds.get(handle);
    if (fd === undefined) return -EBADF;
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      const ready = pollReadable(this.#libc, [fd], deadline);
      if (typeof ready === "number") return ready;
      if (!ready[0]) return -EAGAIN;
      const got = this.#libc.check(this.#libc.netlink.recv(fd, into, BigInt(into.byteLength), MSG_DONTWAIT));
      // Another reader cannot exist, but a wakeup without data is legal: wait again.
      if (got !== -EAGAIN && got !== -EINTR) return got;
    }
  }

  /**
   * The kernel-assigned nl_pid of the socket (getsockname), a full u32.
   *
   * @returns the port id, or -errno as a negative number
   */
  port(handle: number): number {
    const fd = this.#fds.get(handle);
    if (fd === undefined) return -EBADF;
    const address = new Uint8Array(SOCKADDR_NL_SIZE);
    const length = new Uint32Array([SOCKADDR_NL_SIZE]);
    const result = this.#libc.check(this.#libc.netlink.getsockname(fd, address, length));
    if (result < 0) return result;
    // struct sockaddr_nl { u16 nl_family; u16 nl_pad; u32 nl_pid; u32 nl_groups; }
    return new DataView(address.buffer).getUint32(4, true);
  }

  /** The fd behind a handle (for wait_readable), or undefined for an unknown handle. */
  fdOf(handle: number): number | undefined {
    return this.#fds.get(handle);
  }

  /** Closes a handle. @returns 0 or -EBADF */
  close(handle: number): number {
    const fd = this.#fds.get(handle);
    if (fd === undefined) return -EBADF;
    this.#fds.delete(handle);
    return this.#libc.check(this.#libc.core.close(fd));
  }

  /** Closes every socket (module exit). */
  closeAll(): void {
    for (const handle of [...this.#fds.keys()]) this.close(handle);
  }

  #configure(fd: number, groups: number): number {
    const one = new Int32Array([1]);
    for (const option of [NETLINK_EXT_ACK, NETLINK_CAP_ACK]) {
      const set = this.#libc.check(this.#libc.netlink.setsockopt(fd, SOL_NETLINK, option, one, 4));
      if (set < 0) return set;
    }
    // struct sockaddr_nl with nl_pid 0 (kernel assigns) and the multicast groups.
    const address = new DataView(new ArrayBuffer(SOCKADDR_NL_SIZE));
    address.setUint16(0, AF_NETLINK, true);
    address.setUint32(8, groups >>> 0, true);
    return this.#libc.check(this.#libc.netlink.bind(fd, new Uint8Array(address.buffer), SOCKADDR_NL_SIZE));
  }
}
