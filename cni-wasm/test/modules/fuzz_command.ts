// Native fuzzing module: a WASI command (asconfig.json, like the real modules) that the native
// fuzz test (cni-wasm/test/fuzz/) compiles with the capability host in stream mode, under
// AddressSanitizer and UBSan. It runs each input through exactly the code the in-process fuzzers call
// in V8 (modules/netlink.ts fuzzDecode, modules/dispatch.ts run), so the two can be compared line by line.
//
// stdin: frames, each  kind (u8)  payload length (u32 LE)  payload
//   kind < decoder count   fuzzDecode(decoderNames()[kind], payload)
//   KIND_DISPATCH          payload = env length (u32 LE), env lines (UTF-8), stdin config (UTF-8);
//                          run(env, config)
//   KIND_PROBE_*           a deliberate trap of one kind: proves the build ends it cleanly (no frames after)
// stdout: first "decoders <names>", then one line per frame, written as soon as it is known: the
//   module's answer with "\" and newline escaped as "\\" and "\n".
// A frame it cannot read (unknown kind, oversized, cut short by end of input) is a usage error:
// a message on stderr and exit 2. A trap is never an answer: the host ends the run with error 999.

import { decoderNames, fuzzDecode } from "./netlink";
import { run } from "./dispatch";
// Installs the global abort handler (asconfig.json "use": abort=assembly/imports/trap/onAbort).
import "../../assembly/imports/trap";

const KIND_DISPATCH: u8 = 0x40;
const KIND_PROBE_OUT_OF_BOUNDS: u8 = 0xf0;
const KIND_PROBE_RECURSION: u8 = 0xf1;
const KIND_PROBE_ABORT: u8 = 0xf2;

const HEADER_BYTES: i32 = 5;
/** Far above any input the generators make; a bigger length means the stream is out of step. */
const MAX_PAYLOAD_BYTES: i32 = 16 << 20;

/** Buffered frames from stdin: bytes [start, end) of `buffer` are read but not yet consumed. */
class FrameReader {
  private buffer: ArrayBuffer = new ArrayBuffer(64 * 1024);
  private start: i32 = 0;
  private end: i32 = 0;
  kind: u8 = 0;
  payload: ArrayBuffer = new ArrayBuffer(0);
  /** Why next() returned false when it was not a clean end of input. */
  error: string | null = null;

  /** Reads the next frame into kind and payload; false at the end of input or on a bad frame. */
  next(): bool {
    if (!this.fill(HEADER_BYTES)) {
      if (this.end > this.start) this.error = "input ends inside a frame header";
      return false;
    }
    const header = changetype<usize>(this.buffer) + <usize> this.start;
    this.kind = load<u8>(header);
    const length = load<u32>(header, 1);
    if (length > <u32> MAX_PAYLOAD_BYTES) {
      this.error = "frame of " + length.toString() + " bytes (kind " + this.kind.toString() +
        ") is over the limit";
      return false;
    }
    if (!this.fill(HEADER_BYTES + <i32> length)) {
      this.error = "input ends inside a frame of " + length.toString() + " bytes";
      return false;
    }
    // A fresh buffer of exactly the payload, as V8's bindings hand the in-process module. (fill may have
    // moved the bytes: the header's address is stale.)
    this.payload = new ArrayBuffer(<i32> length);
    const at = changetype<usize>(this.buffer) + <usize> this.start;
    memory.copy(changetype<usize>(this.payload), at + HEADER_BYTES, length);
    this.start += HEADER_BYTES + <i32> length;
    return true;
  }

  /** Makes at least `need` unconsumed bytes available; false when stdin ends first. */
  private fill(need: i32): bool {
    while (this.end - this.start < need) {
      if (this.end == this.buffer.byteLength) this.makeRoom(need);
      const got = process.stdin.read(this.buffer, this.end);
      if (got <= 0) return false;
      this.end += got;
    }
    return true;
  }

  /** Moves the unconsumed bytes to the front, into a bigger buffer when `need` would not fit. */
  private makeRoom(need: i32): void {
    const pending = this.end - this.start;
    let target = this.buffer;
    if (need > this.buffer.byteLength - (this.buffer.byteLength >> 2)) target = new ArrayBuffer(need * 2);
    memory.copy(changetype<usize>(target), changetype<usize>(this.buffer) + <usize> this.start, pending);
    this.buffer = target;
    this.start = 0;
    this.end = pending;
  }
}

/** One answer on one line. */
function escapeLine(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

function dispatchFrame(payload: ArrayBuffer): string | null {
  if (payload.byteLength < 4) return null;
  const base = changetype<usize>(payload);
  const envLength = load<u32>(base);
  if (envLength > <u32> (payload.byteLength - 4)) return null;
  const env = String.UTF8.decodeUnsafe(base + 4, envLength);
  const config = String.UTF8.decodeUnsafe(base + 4 + envLength, payload.byteLength - 4 - <i32> envLength);
  return run(env, config);
}

/** Recursion with work after the call, so no optimizer can turn it into a loop. */
function descend(depth: i32): i32 {
  return depth <= 0 ? 0 : (descend(depth - 1) * 31) ^ depth;
}

/** A deliberate trap; returns only when `kind` is no probe. */
function probe(kind: u8): string | null {
  if (kind == KIND_PROBE_OUT_OF_BOUNDS) return load<u8>(<usize> 0xfffffff0).toString();
  if (kind == KIND_PROBE_RECURSION) return descend(i32.MAX_VALUE).toString();
  if (kind == KIND_PROBE_ABORT) assert(false, "deliberate abort probe");
  return null;
}

function answer(kind: u8, payload: ArrayBuffer, decoders: string[]): string | null {
  if (<i32> kind < decoders.length) return fuzzDecode(decoders[kind], Uint8Array.wrap(payload));
  if (kind == KIND_DISPATCH) return dispatchFrame(payload);
  return probe(kind);
}

function main(): i32 {
  const names = decoderNames();
  const decoders = names.split(",");
  process.stdout.write("decoders " + names + "\n");
  const frames = new FrameReader();
  let count = 0;
  while (frames.next()) {
    const text = answer(frames.kind, frames.payload, decoders);
    if (text == null) {
      process.stderr.write(
        "fuzz_command: frame #" + count.toString() + " of kind " + frames.kind.toString() + " is malformed\n",
      );
      return 2;
    }
    process.stdout.write(escapeLine(text) + "\n");
    count++;
  }
  if (frames.error != null) {
    process.stderr.write("fuzz_command: after " + count.toString() + " frames: " + frames.error! + "\n");
    return 2;
  }
  return 0;
}

process.exit(main());
