// Newline-framed requests from stdin. read() is called only after
// wait_readable said stdin has data, so one fd_read never blocks the event side.

/** The protocol's line limit (daemon/links/broker_protocol.ts MAX_LINE_BYTES). */
export const MAX_LINE_BYTES: i32 = 1 << 20;

export class StdinLines {
  private pending: u8[] = [];
  /** True once stdin reached end of file: the daemon is gone, the broker should exit. */
  ended: bool = false;
  /** Set when a line exceeded MAX_LINE_BYTES (its bytes were dropped). */
  overflowed: bool = false;
  private chunk: ArrayBuffer = new ArrayBuffer(64 * 1024);

  /** Reads what is available and returns the complete lines it finished. */
  read(): string[] {
    const n = process.stdin.read(this.chunk);
    if (n <= 0) {
      this.ended = true;
      return [];
    }
    const bytes = Uint8Array.wrap(this.chunk, 0, n);
    const lines = new Array<string>();
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (b == 0x0a) {
        lines.push(this.takeLine());
      } else if (this.pending.length < MAX_LINE_BYTES) {
        this.pending.push(b);
      } else {
        this.overflowed = true;
      }
    }
    return lines;
  }

  private takeLine(): string {
    const line = new Uint8Array(this.pending.length);
    for (let i = 0; i < this.pending.length; i++) line[i] = this.pending[i];
    this.pending = [];
    return String.UTF8.decode(line.buffer);
  }
}
