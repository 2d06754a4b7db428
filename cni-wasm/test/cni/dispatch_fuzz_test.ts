// The CNI front door under random and mutated input, run inside the wasm: env
// variables, CNI_ARGS and stdin configs. Any trap fails the test (the module
// throws), and every answer must be exit 0 with JSON or nothing, or exit 1 with a
// spec error object. FUZZ_ITERATIONS raises the count (the bench task runs 100k).
// The inputs come from ../fuzz/_inputs.ts, shared with the native fuzzer (ASan + UBSan).
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import {
  envText,
  fuzzIterations,
  mutatedInvocations,
  typeConfusedConfigs,
  VALID_CONFIG,
  VALID_ENV,
} from "../fuzz/_inputs.ts";

interface DispatchModule {
  run(envLines: string, stdin: string): string;
}

const dispatcher = await loadModule<DispatchModule>("dispatch");
const ITERATIONS = fuzzIterations(3000);

/** Checks one answer's shape; returns the exit code. */
function assertWellFormed(answer: string, context: string): number {
  const newline = answer.indexOf("\n");
  const code = Number(answer.slice(0, newline));
  const stdout = answer.slice(newline + 1);
  assert.ok(code === 0 || code === 1, `exit ${code} for ${context}`);
  if (stdout === "") {
    assert.equal(code, 0, `an error must print something: ${context}`);
    return code;
  }
  const doc = JSON.parse(stdout);
  if (code === 1) {
    assert.equal(typeof doc.code, "number", `error without code: ${context}`);
    assert.equal(typeof doc.msg, "string", `error without msg: ${context}`);
    assert.ok(doc.msg.length > 0, `empty msg: ${context}`);
  }
  return code;
}

Deno.test("dispatch fuzz: the valid baseline is accepted", () => {
  const answer = dispatcher.run(envText(VALID_ENV), VALID_CONFIG);
  assert.equal(assertWellFormed(answer, "baseline"), 0, answer);
  assert.match(answer, /"deviceID": "eth0Mvp3"/);
});

Deno.test(`dispatch fuzz: ${ITERATIONS} mutated configs, env values and CNI_ARGS never trap`, () => {
  const codes = new Map<number, number>();
  for (const { env, stdin } of mutatedInvocations(ITERATIONS)) {
    const context = JSON.stringify({ env, stdin });
    const code = assertWellFormed(dispatcher.run(envText(env), stdin), context);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  assert.ok((codes.get(0) ?? 0) > 0 && (codes.get(1) ?? 0) > 0, `both outcomes reached: ${[...codes]}`);
});

Deno.test("dispatch fuzz: structured type confusion in every config field", () => {
  for (const config of typeConfusedConfigs(Math.ceil(ITERATIONS / 3))) {
    assertWellFormed(dispatcher.run(envText(VALID_ENV), config), config);
  }
});
