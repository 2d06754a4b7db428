// stdin, read to the end (the host hands the module the whole config up front).

/** Configs are small; anything bigger is refused rather than buffered without bound. */
export const MAX_STDIN_BYTES: i32 = 4 << 20;

/** All of stdin as UTF-8 text, or "" past MAX_STDIN_BYTES (then the JSON decode fails with a clear message). */
export function readStdin(): string {
  const chunks = new Array<ArrayBuffer>();
  let total = 0;
  while (total <= MAX_STDIN_BYTES) {
    const chunk = new ArrayBuffer(64 * 1024);
    const n = process.stdin.read(chunk);
    if (n <= 0) break;
    chunks.push(chunk.slice(0, n));
    total += n;
  }
  if (total > MAX_STDIN_BYTES) return "";
  const all = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    all.set(Uint8Array.wrap(chunks[i]), offset);
    offset += chunks[i].byteLength;
  }
  return String.UTF8.decode(all.buffer);
}
