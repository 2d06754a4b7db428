/**
 * Bounds-checked access to the module's linear memory for the host imports.
 *
 * The memory is exported by the module, so it exists only after instantiation:
 * imports are built first and {@link ModuleMemory.attach} is called once the
 * instance is there. Views are created per call because `memory.grow` detaches
 * the previous ArrayBuffer. A pointer/length pair outside the memory yields
 * null, which the imports report as -EFAULT: a bad pointer never throws.
 *
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The module's memory as seen by the imports. */
export class ModuleMemory {
  #memory: WebAssembly.Memory | null = null;

  /** Binds the instance's exported memory. */
  attach(memory: WebAssembly.Memory): void {
    this.#memory = memory;
  }

  /** The current buffer; throws when called before {@link attach} (a host bug, not module input). */
  get buffer(): ArrayBuffer {
    if (this.#memory === null) {
      throw new Error("Cannot access module memory: the module is not instantiated yet");
    }
    return this.#memory.buffer as ArrayBuffer;
  }

  /** A live view of [ptr, ptr+len), or null when it does not fit in memory. */
  bytes(ptr: number, len: number): Uint8Array<ArrayBuffer> | null {
    const buffer = this.buffer;
    const start = ptr >>> 0;
    if (len < 0 || start + len > buffer.byteLength) return null;
    return new Uint8Array(buffer, start, len);
  }

  /** UTF-8 text at (ptr, len), or null when out of bounds or not valid UTF-8. */
  utf8(ptr: number, len: number): string | null {
    const bytes = this.bytes(ptr, len);
    if (bytes === null) return null;
    try {
      return utf8.decode(bytes);
    } catch {
      return null;
    }
  }

  /** UTF-16 text of `units` code units at ptr (AssemblyScript strings), or null when out of bounds. */
  utf16(ptr: number, units: number): string | null {
    const bytes = this.bytes(ptr, units * 2);
    if (bytes === null) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let text = "";
    for (let i = 0; i < units; i++) text += String.fromCharCode(view.getUint16(i * 2, true));
    return text;
  }

  /** Stores little-endian u32 values from ptr on; false when they do not fit. */
  storeU32(ptr: number, ...values: number[]): boolean {
    const bytes = this.bytes(ptr, values.length * 4);
    if (bytes === null) return false;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    values.forEach((value, i) => view.setUint32(i * 4, value >>> 0, true));
    return true;
  }
}
