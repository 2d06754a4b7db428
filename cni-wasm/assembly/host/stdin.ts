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

/** All of stdin as UTF-8 text, or the over-the-limit error past MAX_STDIN_BYTES. */
export function readStdin(): StdinInput {
  const chunks = new Array<ArrayBuffer>();
  let total = 0;
  while (total <= MAX_STDIN_BYTES) {
    const chunk = new ArrayBuffer(64 * 1024);
    const n = process.stdin.read(chunk);
    if (n <= 0) break;
    chunks.push(chunk.slice(0, n));
    total += n;
  }
  if (total > MAX_STDIN_BYTES) return new StdinInput("", stdinTooLarge());
  const all = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    all.set(Uint8Array.wrap(chunks[i]), offset);
    offset += chunks[i].byteLength;
  }
  return new StdinInput(String.UTF8.decode(all.buffer), null);
}
