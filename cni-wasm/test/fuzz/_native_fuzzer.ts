/**
 * The native fuzzer: cni-wasm/test/modules/fuzz_command.ts compiled like the real modules (asconfig.json,
 * WASI) and then into an executable with the capability host in stream mode, under AddressSanitizer and
 * UBSan (tools/native.ts `sanitize`). Frames go in on stdin, one answer line per frame comes back; this
 * module frames the inputs, streams them through one process and compares every answer with the one
 * V8 gave for the same input.
 *
 * Requires --allow-read/--allow-write on the repository, --allow-env (the AssemblyScript compiler) and
 * --allow-run (wasm2c, cc, the fuzzer).
 *
 * @module
 */
import { CNI_WASM_DIR, compileAssembly } from "../../../tools/asc.ts";
import { compileNative, NATIVE_BUILD_DIR } from "../../../tools/native.ts";

/** Frame kinds beside the decoders (whose kind is their index in decoderNames()); see fuzz_command.ts. */
export const KIND = {
  dispatch: 0x40,
  probeOutOfBounds: 0xf0,
  probeRecursion: 0xf1,
  probeAbort: 0xf2,
} as const;

/**
 * The sanitizers' settings for every run: any report exits 86 (a trap exits 1, a usage error 2), leaks
 * are checked at exit, string arguments to libc are checked whole, UBSan prints where it fired.
 */
export const SANITIZER_ENV: Record<string, string> = {
  ASAN_OPTIONS: "exitcode=86:detect_leaks=1:strict_string_checks=1",
  UBSAN_OPTIONS: "exitcode=86:print_stacktrace=1",
};

/** Text any sanitizer report contains. */
export const SANITIZER_REPORT =
  /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|SUMMARY:/;

/** Compiles the fuzz module and the sanitized executable when their sources changed. @returns its path */
export async function buildNativeFuzzer(): Promise<string> {
  const outFile = "build/test/fuzz_command.wasm";
  await compileAssembly({ entry: "test/modules/fuzz_command.ts", outFile, config: "asconfig.json" });
  const out = `${NATIVE_BUILD_DIR}/fuzz-sanitized/fuzz_command`;
  await compileNative({
    name: "fuzz-sanitized",
    wasm: `${CNI_WASM_DIR}/${outFile}`,
    out,
    stream: true,
    sanitize: true,
  });
  return out;
}

/** kind, payload length (u32 LE), payload. */
export function frame(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, payload.length, true);
  out.set(payload, 5);
  return out;
}

const encoder = new TextEncoder();

function utf8(text: string, what: string): Uint8Array {
  // A lone surrogate would reach the module as U+FFFD but the in-process module as itself: not the same input.
  if (!text.isWellFormed()) throw new Error(`the ${what} is not well-formed UTF-16: ${JSON.stringify(text)}`);
  return encoder.encode(text);
}

/** A dispatch frame: env length (u32 LE), env lines, stdin config. */
export function dispatchFrame(envLines: string, stdin: string): Uint8Array {
  const env = utf8(envLines, "env");
  const config = utf8(stdin, "config");
  const payload = new Uint8Array(4 + env.length + config.length);
  new DataView(payload.buffer).setUint32(0, env.length, true);
  payload.set(env, 4);
  payload.set(config, 4 + env.length);
  return frame(KIND.dispatch, payload);
}

/** The module's answer as the fuzzer prints it: on one line, "\" and newline escaped. */
export function answerLine(answer: string): string {
  return answer.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** One input and the answer V8 gave for it. */
export interface FuzzCase {
  frame: Uint8Array;
  /** answerLine() of V8's answer. */
  expected: string;
  /** Where the input came from (generator, seed, index), to replay it. */
  origin: string;
}

/** An input the two runtimes answered differently. */
export interface Mismatch {
  origin: string;
  v8: string;
  native: string;
  frameHex: string;
}

/** What one run of the fuzzer did. */
export interface NativeRun {
  code: number;
  stderr: string;
  /** The first line: "decoders <names>". */
  handshake: string;
  sent: number;
  answered: number;
  /** The first few mismatches. */
  mismatches: Mismatch[];
  mismatchCount: number;
  /** Lines that came when no answer was due. */
  extraLines: string[];
  /** When the module trapped: the host's error object (code 999). */
  trap: string | null;
  /** The first input left without an answer: the one a trap or a sanitizer report ended the run on. */
  unanswered: FuzzCase | null;
}

const MAX_MISMATCHES_KEPT = 10;
/** Frames are written to the pipe in batches of about this size. */
const WRITE_BATCH_BYTES = 64 * 1024;

/** The first bytes of an input, in hex, to put in a failure message. */
export function hexOf(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 512)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return bytes.length > 512 ? `${shown} ... (${bytes.length} bytes)` : shown;
}

/** The host's error object for a trap; no answer looks like it (decoders say ok/err, dispatch "<code>\\n..."). */
function isTrapObject(line: string): boolean {
  return line.startsWith('{"cniVersion":') && line.includes('"code":999');
}

/** Lines of a byte stream, as they arrive. */
async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== "") yield rest;
}

/**
 * Streams `cases` through one run of the fuzzer at `binary`, writing and reading at the same time (the
 * pipes apply back-pressure, so only the inputs in flight are held), and compares each answer with V8's.
 */
export async function runNative(binary: string, cases: Iterable<FuzzCase>): Promise<NativeRun> {
  const child = new Deno.Command(binary, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: SANITIZER_ENV,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const inFlight: FuzzCase[] = [];
  const run: NativeRun = {
    code: -1,
    stderr: "",
    handshake: "",
    sent: 0,
    answered: 0,
    mismatches: [],
    mismatchCount: 0,
    extraLines: [],
    trap: null,
    unanswered: null,
  };
  const reading = readAnswers(child.stdout, inFlight, run);
  try {
    await writeFrames(child.stdin, cases, inFlight, run);
  } catch (error) {
    // Making the inputs failed (V8 trapped on one): stop the fuzzer and leave nothing running.
    child.kill("SIGKILL");
    await Promise.allSettled([reading, child.status, stderr]);
    throw error;
  }
  await reading;
  run.code = (await child.status).code;
  run.stderr = await stderr;
  run.unanswered = inFlight[0] ?? null;
  return run;
}

async function writeFrames(
  stdin: WritableStream<Uint8Array>,
  cases: Iterable<FuzzCase>,
  inFlight: FuzzCase[],
  run: NativeRun,
): Promise<void> {
  const writer = stdin.getWriter();
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async () => {
    const joined = new Uint8Array(batchBytes);
    let at = 0;
    for (const part of batch) {
      joined.set(part, at);
      at += part.length;
    }
    batch = [];
    batchBytes = 0;
    await writer.write(joined);
  };
  try {
    for (const item of cases) {
      inFlight.push(item);
      run.sent++;
      batch.push(item.frame);
      batchBytes += item.frame.length;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    await flush();
    await writer.close();
  } catch (error) {
    // The fuzzer went away before reading everything (a trap ended it): the exit code and stderr say why.
    if (error instanceof Deno.errors.BrokenPipe) return;
    await writer.abort(error).catch(() => {});
    throw error;
  }
}

async function readAnswers(
  stdout: ReadableStream<Uint8Array>,
  inFlight: FuzzCase[],
  run: NativeRun,
): Promise<void> {
  let first = true;
  for await (const line of linesOf(stdout)) {
    if (first) {
      run.handshake = line;
      first = false;
      continue;
    }
    if (isTrapObject(line)) {
      run.trap = line;
      continue;
    }
    const due = inFlight.shift();
    if (due === undefined) {
      run.extraLines.push(line);
      continue;
    }
    run.answered++;
    if (line === due.expected) continue;
    run.mismatchCount++;
    if (run.mismatches.length < MAX_MISMATCHES_KEPT) {
      run.mismatches.push({ origin: due.origin, v8: due.expected, native: line, frameHex: hexOf(due.frame) });
    }
  }
}
