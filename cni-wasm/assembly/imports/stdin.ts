// stdin, read to the end (the host hands the module the whole config up front).

import { CniError } from "../cni/errors";
import { MAX_STDIN_BYTES, stdinTooLarge } from "../cni/stdin_limit";

/** stdin as text, or the error that replaces it. */
export class StdinInput {
  constructor(
    /** The config as UTF-8 text; "" when `error` is set. */
    public text: string,
    /** Set when stdin is over MAX_STDIN_BYTES (code 6, naming the limit). */
    public error: CniError | null,
  ) {}
}

/**
 * All of stdin as UTF-8 text, or the over-the-limit error past MAX_STDIN_BYTES.
 * One buffer of the largest size accepted is reserved but not filled (__new does
 * not clear memory on the CNI's stub runtime, so only the pages read into are
 * touched), then cut to what was read, and the text is decoded from it: no
 * chunks and no copies, since the CNI's runtime never frees.
 */
export function readStdin(): StdinInput {
  const capacity = MAX_STDIN_BYTES + 1;
  const buffer = changetype<ArrayBuffer>(__new(<usize> capacity, idof<ArrayBuffer>()));
  let total = 0;
  while (total < capacity) {
    const n = process.stdin.read(buffer, total);
    if (n <= 0) break;
    total += n;
  }
  if (total > MAX_STDIN_BYTES) return new StdinInput("", stdinTooLarge());
  // The buffer is the newest allocation: cutting it gives the rest back to the text decoded next.
  const read = __renew(changetype<usize>(buffer), <usize> total);
  return new StdinInput(String.UTF8.decodeUnsafe(read, <usize> total), null);
}
