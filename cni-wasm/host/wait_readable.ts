/**
 * wait_readable: the link broker's one blocking point, waiting on stdin (the
 * daemon's requests) and its netlink sockets (link events) together.
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import { EINVAL } from "./kernel.ts";
import type { Libc } from "./libc.ts";
import { pollReadable } from "./readiness.ts";

/** Bit 0 of the result: stdin is readable (data or end of file). */
export const STDIN_READY = 1;

/** Sockets that fit in the result bitmask (bits 1..30 of a positive i32). */
export const MAX_WAIT_SOCKETS = 30;

/**
 * Waits until stdin or one of the sockets is readable, at most timeoutMs (-1 = forever).
 *
 * @param stdinBuffered true when stdin was read up front ("cni" mode): it is always ready
 * @param socketFds fds of the sockets, in the module's order
 * @returns bit 0 stdin, bit 1+i socket i; 0 on timeout; -EINVAL for too many sockets; -errno
 */
export function waitReadable(
  libc: Libc,
  stdinBuffered: boolean,
  socketFds: number[],
  timeoutMs: number,
): number {
  if (socketFds.length > MAX_WAIT_SOCKETS) return -EINVAL;
  // A buffered stdin is ready now: only look at the sockets, without waiting.
  const deadline = stdinBuffered ? 0 : timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
  const fds = stdinBuffered ? socketFds : [0, ...socketFds];
  if (fds.length === 0) return stdinBuffered ? STDIN_READY : 0;
  const ready = pollReadable(libc, fds, deadline);
  if (typeof ready === "number") return ready;
  let mask = stdinBuffered ? STDIN_READY : 0;
  const offset = stdinBuffered ? 0 : 1;
  ready.forEach((isReady, i) => {
    if (isReady) mask |= i < offset ? STDIN_READY : 1 << (1 + i - offset);
  });
  return mask;
}
