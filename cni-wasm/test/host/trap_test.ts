// Every way the module can fail ends as CNI error 999 on stdout, exit 1, with whatever the module had
// written to stdout discarded; a module that imports something the host does not grant never builds.
import assert from "node:assert/strict";
import { CNI_WASM_DIR } from "../../../tools/asc.ts";
import { compileNative } from "../../../tools/native.ts";
import { errorObject, runProbe } from "./_probe.ts";

for (
  const [scenario, kind] of [
    ["abort", /^abort: probe abort at test\/modules\/host_probe\.ts:\d+:\d+$/],
    ["unreachable", /^wasm trap: Unreachable instruction executed$/],
    ["overflow", /^wasm trap: Call stack exhausted$/],
    ["oom", /^out of memory: the module needed more than 256 MiB of linear memory/],
  ] as const
) {
  Deno.test(`trap (${scenario}) → code 999 JSON in the config's version, half-written stdout discarded`, async () => {
    const run = await runProbe([scenario], { stdin: '{"cniVersion":"0.4.0","name":"n"}' });
    assert.equal(run.code, 1);
    assert.ok(!run.stdout.includes("half"), run.stdout);
    const error = errorObject(run);
    assert.deepEqual([error.cniVersion, error.code, error.msg], ["0.4.0", 999, "macvtap plugin trapped"]);
    assert.match(error.details, kind);
    assert.equal(
      run.stderr,
      `macvtap plugin trapped: ${error.details}\n`,
      "the same words for the runtime's log",
    );
    assert.equal(run.stdout.split("\n").length, 2, "one line");
  });
}

Deno.test("the error's cniVersion is the config's only when stdin is JSON with a valid top-level one", async () => {
  const cases: [string, string][] = [
    ['{"cniVersion":"0.3.1"}', "0.3.1"],
    [' {"name":"n","ipam":{"cniVersion":"9.9.9","x":[1,{"y":null}]},"cniVersion":"1.0.0"} ', "1.0.0"],
    ['{"cniVersion":"1.0.0","cniVersion":"0.4.0"}', "0.4.0"],
    ['{"cniVersion":7}', "1.1.0"],
    ['{"cniVersion":"1.0"}', "1.1.0"],
    ['{"cniVersion":"1.0.0\\n\\"x"}', "1.1.0"],
    ['{"ipam":{"cniVersion":"0.4.0"}}', "1.1.0"],
    ['{"cniVersion":"0.4.0"', "1.1.0"],
    ['{"cniVersion":"0.4.0"} trailing', "1.1.0"],
    ['{"cniVersion":"0.4.0","x":tru}', "1.1.0"],
    ['{"cniVersion":"0.4.0","x":-1.5e+3,"y":[true,false,null]}', "0.4.0"],
    ['{"cniVersion":"0.4.0","x":1.}', "1.1.0"],
    ["[]", "1.1.0"],
    ["", "1.1.0"],
    ["{not json", "1.1.0"],
    [`${'{"a":'.repeat(100)}1${"}".repeat(100)}`, "1.1.0"],
  ];
  for (const [stdin, version] of cases) {
    const run = await runProbe(["abort"], { stdin });
    assert.equal(errorObject(run).cniVersion, version, stdin);
  }
});

Deno.test("an abort whose message lies outside the module's memory is still a trap, saying so", async () => {
  const run = await runProbe(["bad-pointer", "trap"]);
  assert.equal(run.code, 1);
  assert.match(errorObject(run).details, /^abort: <10 code units at \d+, outside the module's memory> at </);
});

Deno.test("a module importing something the host does not grant is refused at build time, by name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvtest-refused-" });
  try {
    // (module (import "env" "system" (func)) (memory (export "memory") 1) (func (export "_start")))
    const wasm = Uint8Array.from(
      atob("AGFzbQEAAAABBAFgAAACDgEDZW52BnN5c3RlbQAAAwIBAAUDAQABBxMCBm1lbW9yeQIABl9zdGFydAABCgQBAgAL"),
      (c) => c.charCodeAt(0),
    );
    await Deno.writeFile(`${dir}/refused.wasm`, wasm);
    await assert.rejects(
      compileNative({ name: "test-refused", wasm: `${dir}/refused.wasm`, out: `${dir}/refused` }),
      /it imports env\.system, which the capability host does not grant/,
    );
    await assert.rejects(Deno.stat(`${dir}/refused`), Deno.errors.NotFound, "no executable was written");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${CNI_WASM_DIR}/build/native/test-refused`, { recursive: true }).catch(() => {});
  }
});
