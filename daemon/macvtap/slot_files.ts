/**
 * Durable storage for one small JSON value that changes on every Allocate: two slot files written in turn,
 * in place.
 *
 * Replacing a file (temporary file, fdatasync, rename) makes the filesystem commit new blocks and a new
 * directory entry on every write; on this project's test machine that costs 1.5–8 ms per write, on the
 * Allocate path. Overwriting a file of unchanged size needs fdatasync to flush only the data blocks
 * (0.4–2 ms there). A crash in the middle of an overwrite must not lose the previous copy, so copies
 * alternate between two files (copy number `sequence` goes to slot `sequence % 2`), each carries its
 * sequence number and an xxh64 checksum of its payload, and loading takes the newest copy whose checksum
 * holds. Each slot is padded with spaces to a multiple of 4 KiB, so a write changes its size only when the
 * payload outgrows it.
 *
 * @module
 */
import { xxh64 } from "./xxh64.ts";

const FORMAT_VERSION = 1;
const BLOCK = 4096;

/** What loading found: the newest good payload (or null), and why any slot was not usable. */
export interface SlotLoad {
  payload: unknown;
  problems: string[];
}

/** Two slot files `<dir>/<name>.0.json` and `<dir>/<name>.1.json`. */
export class SlotFiles {
  #sequence = 0;
  #sizes: [number, number] = [0, 0];
  #created = false;

  /** @param dir the directory, created on the first write */
  constructor(readonly dir: string, readonly name: string) {}

  /** The path of slot `index`. */
  slotPath(index: number): string {
    return `${this.dir}/${this.name}.${index}.json`;
  }

  /**
   * Reads both slots and takes the newest good copy; later writes continue its sequence.
   *
   * Requires `--allow-read` on the directory.
   */
  async load(): Promise<SlotLoad> {
    const problems: string[] = [];
    let best: { sequence: number; payload: unknown } | null = null;
    for (const index of [0, 1]) {
      const copy = await this.#read(index).catch((error: Error) => {
        problems.push(`${this.slotPath(index)}: ${error.message}`);
        return null;
      });
      if (copy && (best === null || copy.sequence > best.sequence)) best = copy;
    }
    this.#sequence = best?.sequence ?? 0;
    return { payload: best?.payload ?? null, problems };
  }

  /**
   * Writes `payload` (any JSON value) as the next copy and waits until it is on disk. Not reentrant: the
   * caller serialises writes.
   *
   * Requires `--allow-read` and `--allow-write` on the directory.
   */
  async write(payload: unknown): Promise<void> {
    if (!this.#created) await this.#create();
    const sequence = this.#sequence + 1;
    const index = (sequence % 2) as 0 | 1;
    const body = JSON.stringify(payload);
    const checksum = xxh64(body).toString(16).padStart(16, "0");
    const text =
      `{"version":${FORMAT_VERSION},"sequence":${sequence},"checksum":"${checksum}","payload":${body}}`;
    const bytes = padded(new TextEncoder().encode(text), this.#sizes[index]);
    const file = await Deno.open(this.slotPath(index), { write: true });
    try {
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.syncData();
    } finally {
      file.close();
    }
    this.#sizes[index] = bytes.length;
    this.#sequence = sequence;
  }

  /** Creates the directory and both slots (once), and makes their directory entries durable. */
  async #create(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    for (const index of [0, 1] as const) {
      const file = await Deno.open(this.slotPath(index), { write: true, create: true, mode: 0o600 });
      this.#sizes[index] = (await file.stat()).size;
      file.close();
    }
    const dir = await Deno.open(this.dir, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
    this.#created = true;
  }

  async #read(index: number): Promise<{ sequence: number; payload: unknown } | null> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.slotPath(index));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    if (text.trim() === "") return null;
    const copy = JSON.parse(text) as {
      version?: unknown;
      sequence?: unknown;
      checksum?: unknown;
      payload?: unknown;
    };
    if (copy.version !== FORMAT_VERSION || !Number.isSafeInteger(copy.sequence)) {
      throw new Error(`not a version ${FORMAT_VERSION} slot`);
    }
    const checksum = xxh64(JSON.stringify(copy.payload)).toString(16).padStart(16, "0");
    if (checksum !== copy.checksum) throw new Error("checksum mismatch (a write was cut short)");
    return { sequence: copy.sequence as number, payload: copy.payload };
  }
}

/** `bytes` plus spaces and a newline, to at least `size` and a multiple of {@link BLOCK}. */
function padded(bytes: Uint8Array, size: number): Uint8Array {
  const length = Math.max(size, Math.ceil((bytes.length + 1) / BLOCK) * BLOCK);
  const out = new Uint8Array(length).fill(0x20);
  out.set(bytes);
  out[length - 1] = 0x0a;
  return out;
}
