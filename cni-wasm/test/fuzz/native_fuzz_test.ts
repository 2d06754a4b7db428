// The in-process fuzzers' inputs (netlink decoders, CNI front door; same generators, same seeds) run
// again through the native build of the same AssemblyScript code: wasm2c + the C capability host,
// compiled with AddressSanitizer and UBSan. Every input must leave no sanitizer report, never trap, and
// get exactly the answer V8 gave in-process: a differential check of wasm2c + host against V8.
// FUZZ_ITERATIONS raises the counts (`deno task fuzz` runs the 100k per fuzzer of the bench).
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { loadNetlink } from "../netlink/_netlink_module.ts";
import {
  decoderInputs,
  envText,
  fuzzIterations,
  mutatedInvocations,
  typeConfusedConfigs,
  VALID_ENV,
} from "./_inputs.ts";
import {
  answerLine,
  buildNativeFuzzer,
  dispatchFrame,
  frame,
  type FuzzCase,
  hexOf,
  KIND,
  type NativeRun,
  runNative,
  SANITIZER_ENV,
  SANITIZER_REPORT,
} from "./_native_fuzzer.ts";

interface DispatchModule {
  run(envLines: string, stdin: string): string;
}

const { nl } = await loadNetlink();
const dispatch = await loadModule<DispatchModule>("dispatch");
const binary = await buildNativeFuzzer();
const DECODERS = nl.decoderNames().split(",");
/** Per decoder, and CNI calls: a few seconds in `deno task test`. */
const ITERATIONS = fuzzIterations(500);

/** V8's answer; a throw there is the in-process fuzzers' finding, named by the input's origin. */
function inV8(origin: string, answer: () => string): string {
  try {
    return answerLine(answer());
  } catch (error) {
    throw new Error(`V8 trapped on ${origin}: ${(error as Error).message}`);
  }
}

function* decoderCases(): Generator<FuzzCase> {
  for (const input of decoderInputs(DECODERS, ITERATIONS)) {
    const origin = `${input.decoder} ${input.origin}`;
    const expected = inV8(origin, () => nl.fuzzDecode(input.decoder, input.bytes));
    yield { frame: frame(input.index, input.bytes), expected, origin };
  }
}

function dispatchCase(env: string, stdin: string, origin: string): FuzzCase {
  const expected = inV8(origin, () => dispatch.run(env, stdin));
  return { frame: dispatchFrame(env, stdin), expected, origin };
}

function* dispatchCases(): Generator<FuzzCase> {
  let i = 0;
  for (const { env, stdin } of mutatedInvocations(ITERATIONS)) {
    yield dispatchCase(envText(env), stdin, `mutated invocation #${i++}: ${JSON.stringify({ env, stdin })}`);
  }
  i = 0;
  for (const config of typeConfusedConfigs(Math.ceil(ITERATIONS / 3))) {
    yield dispatchCase(envText(VALID_ENV), config, `type-confused config #${i++}: ${config}`);
  }
}

/** No report, no trap, exit 0, nothing on stderr, and every answer V8's. */
function assertClean(run: NativeRun, inputs: number): void {
  const culprit = run.unanswered ? `${run.unanswered.origin}\nframe: ${hexOf(run.unanswered.frame)}` : "?";
  assert.doesNotMatch(run.stderr, SANITIZER_REPORT, `sanitizer report on ${culprit}:\n${run.stderr}`);
  assert.equal(run.trap, null, `trapped on ${culprit}: ${run.trap}`);
  assert.equal(run.code, 0, `exit code ${run.code}, stderr:\n${run.stderr}`);
  assert.equal(run.stderr, "");
  assert.equal(run.handshake, `decoders ${DECODERS.join(",")}`, "the decoder table differs from V8's");
  const shown = run.mismatches.map((m) =>
    `${m.origin}\n  V8:     ${m.v8}\n  native: ${m.native}\n  frame:  ${m.frameHex}`
  );
  assert.equal(
    run.mismatchCount,
    0,
    `${run.mismatchCount} answers differ from V8's, first ones:\n${shown.join("\n")}`,
  );
  assert.deepEqual(run.extraLines, [], "lines no input asked for");
  assert.equal(run.sent, inputs);
  assert.equal(run.answered, inputs);
}

Deno.test(`native fuzz: ${ITERATIONS} inputs per decoder, answers equal V8's, no sanitizer report`, async () => {
  assertClean(await runNative(binary, decoderCases()), ITERATIONS * DECODERS.length);
});

Deno.test(
  `native fuzz: ${ITERATIONS} mutated CNI calls and ${
    Math.ceil(ITERATIONS / 3)
  } type-confused configs equal V8's`,
  async () => {
    assertClean(await runNative(binary, dispatchCases()), ITERATIONS + Math.ceil(ITERATIONS / 3));
  },
);

Deno.test("native fuzz: the executable is instrumented by ASan and UBSan, and UBSan never recovers", async () => {
  const text = new TextDecoder("latin1").decode(await Deno.readFile(binary));
  const symbols = new Set(text.match(/__(?:asan|ubsan)_[a-z0-9_]+/g));
  assert.ok(symbols.has("__asan_init") && symbols.has("__asan_report_load4"), "no ASan instrumentation");
  const ubsan = [...symbols].filter((s) => s.startsWith("__ubsan_handle_"));
  assert.ok(ubsan.length > 0, "no UBSan instrumentation");
  assert.deepEqual(ubsan.filter((s) => !s.endsWith("_abort")), [], "UBSan handlers that let the run go on");
  const help = await new Deno.Command(binary, {
    env: { ...SANITIZER_ENV, ASAN_OPTIONS: "help=1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.match(new TextDecoder().decode(help.stderr), /Available flags for AddressSanitizer/);
});

const PROBES = [
  [
    "out-of-bounds load",
    KIND.probeOutOfBounds,
    "wasm trap: Out-of-bounds access in linear memory or a table",
  ],
  ["runaway recursion", KIND.probeRecursion, "wasm trap: Call stack exhausted"],
  ["abort", KIND.probeAbort, "abort: deliberate abort probe at test/modules/fuzz_command.ts:"],
] as const;

for (const [name, kind, details] of PROBES) {
  Deno.test(`native fuzz: a trap (${name}) ends the run as error 999 with no sanitizer report`, async () => {
    const before = { frame: frame(0, new Uint8Array(0)), expected: "err", origin: "empty input, before" };
    const probe = { frame: frame(kind, new Uint8Array(0)), expected: "", origin: name };
    const after = { frame: frame(0, new Uint8Array(0)), expected: "err", origin: "empty input, after" };
    const run = await runNative(binary, [before, probe, after]);
    assert.doesNotMatch(run.stderr, SANITIZER_REPORT, `sanitizer report:\n${run.stderr}`);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.answered, 1, "only the input before the trap is answered");
    assert.ok(run.trap?.includes(`"code":999`) && run.trap.includes(details), `trap: ${run.trap}`);
    assert.equal(run.unanswered?.origin, name);
    assert.ok(run.stderr.startsWith(`macvtap plugin trapped: ${details}`), run.stderr);
    assert.equal(run.stderr.split("\n").length, 2, `one line on stderr:\n${run.stderr}`);
  });
}

Deno.test("native fuzz: a frame cut short is a usage error (exit 2), not an answer", async () => {
  const whole = frame(0, new Uint8Array([1, 2, 3]));
  const cut = { frame: whole.subarray(0, 6), expected: "", origin: "frame cut short" };
  const run = await runNative(binary, [cut]);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.answered, 0);
  assert.match(run.stderr, /^fuzz_command: after 0 frames: input ends inside a frame of 3 bytes\n$/);
});
