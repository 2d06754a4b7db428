/**
 * poll(2) on a few descriptors until one is readable or a deadline passes:
 * the wait behind nl_recv's timeout and behind wait_readable (the link broker
 * waiting on stdin and its netlink sockets together).
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import { EINTR, POLLIN } from "./kernel.ts";
import type { Libc } from "./libc.ts";

/** poll(2) revents that mean "a read will not block": data, end of file, or an error to collect. */
const READABLE_EVENTS = POLLIN | 0x8 /* POLLERR */ | 0x10 /* POLLHUP */;

/** sizeof(struct pollfd { int fd; short events; short revents; }). */
const POLLFD_SIZE = 8;

/** Milliseconds left until `deadline` (performance.now() based), -1 for "no deadline". */
export function remainingMs(deadline: number): number {
  return deadline === Infinity ? -1 : Math.max(0, Math.ceil(deadline - performance.now()));
}

/**
 * Waits until at least one of `fds` is readable or the deadline passes; EINTR restarts the wait.
 *
 * @param deadline performance.now() value, or Infinity to wait forever
 * @returns one readiness flag per fd (all false on timeout), or -errno
 */
export function pollReadable(libc: Libc, fds: number[], deadline: number): boolean[] | number {
  const table = new DataView(new ArrayBuffer(fds.length * POLLFD_SIZE));
  fds.forEach((fd, i) => {
    table.setInt32(i * POLLFD_SIZE, fd, true);
    table.setInt16(i * POLLFD_SIZE + 4, POLLIN, true);
  });
  const bytes = new Uint8Array(table.buffer);
  for (;;) {
    const ready = libc.check(libc.netlink.poll(bytes, BigInt(fds.length), remainingMs(deadline)));
    if (ready === -EINTR) continue;
    if (ready < 0) return ready;
    return fds.map((_, i) => (table.getInt16(i * POLLFD_SIZE + 6, true) & READABLE_EVENTS) !== 0);
  }
}
