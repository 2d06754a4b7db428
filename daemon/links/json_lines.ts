/**
 * Newline-delimited text over byte streams: the framing of the link broker protocol.
 *
 * @module
 */

/** A line longer than the reader's limit; the stream cannot be trusted after it. */
export class LineTooLongError extends Error {
  override name = "LineTooLongError";
}

/**
 * Yields the lines of a byte stream as text, without their `\n`; a last line without `\n` is yielded too.
 *
 * @param stream UTF-8 bytes
 * @param maxBytes longest accepted line; a longer one throws {@link LineTooLongError}
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      checkLength(line, maxBytes);
      yield line;
    }
    // Characters ≥ bytes / 3, so this bounds memory without encoding on every chunk.
    if (pending.length > maxBytes) checkLength(pending, maxBytes);
  }
  pending += decoder.decode();
  if (pending !== "") {
    checkLength(pending, maxBytes);
    yield pending;
  }
}

function checkLength(line: string, maxBytes: number): void {
  const bytes = new TextEncoder().encode(line).length;
  if (bytes > maxBytes) {
    throw new LineTooLongError(`Cannot read line of ${bytes}+ bytes: limit is ${maxBytes}`);
  }
}

/**
 * Writes whole lines to a byte stream one after the other, so concurrent writers never interleave.
 */
export class LineWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Promise<void> = Promise.resolve();
  #encoder = new TextEncoder();

  /** Takes the stream's writer lock for the writer's lifetime. */
  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Queues `text` (which should end with `\n`); resolves when written, rejects if the stream broke. */
  write(text: string): Promise<void> {
    const bytes = this.#encoder.encode(text);
    const done = this.#queue.then(() => this.#writer.write(bytes));
    this.#queue = done.catch(() => {});
    return done;
  }

  /** Closes the stream after queued lines; never throws. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#writer.close().catch(() => {});
  }
}
