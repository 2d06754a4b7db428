// The CNI front door under random and mutated input, run inside the wasm: env
// variables, CNI_ARGS and stdin configs. Any trap fails the test (the harness
// throws), and every answer must be exit 0 with JSON or nothing, or exit 1 with a
// spec error object. FUZZ_ITERATIONS raises the count (the bench task runs 100k).
import assert from "node:assert/strict";
import { loadHarness } from "../load_harness.ts";
import { mulberry32 } from "../../../testing/random.ts";

interface DispatchHarness {
  run(envLines: string, stdin: string): string;
}

const harness = await loadHarness<DispatchHarness>("dispatch_harness");
const ITERATIONS = Number(Deno.env.get("FUZZ_ITERATIONS") ?? 3000);

const VALID_CONFIG = JSON.stringify({
  cniVersion: "1.0.0",
  name: "macvtap0",
  type: "macvtap",
  deviceID: "eth0Mvp3",
  pciBusID: "eth0Mvp3",
  mac: "02:00:00:00:00:01",
  mtu: 1500,
  promiscMode: true,
  owner: 107,
  group: 107,
  capabilities: { mac: true },
  runtimeConfig: { mac: "02:00:00:00:00:02", deviceID: "eth0Mvp3" },
  ipam: { type: "host-local", ranges: [[{ subnet: "10.0.0.0/24" }]] },
  args: { cni: { ips: ["10.0.0.5"] } },
  prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "net1" }] },
});
const VALID_ENV: Record<string, string> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c0ffee",
  CNI_NETNS: "/run/netns/pod",
  CNI_IFNAME: "net1",
  CNI_PATH: "/opt/cni/bin",
  CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=vm;MAC=02:00:00:00:00:03;IP=10.0.0.5",
};
const COMMANDS = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION", "add", "", "BOGUS"];
const ALPHABET = `{}[]":,.-+=;/ 0123456789abcdefxyzACDEFINMPV\\u00e9\u0001\n`;

function envText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}=${v.replaceAll("\n", " ")}`).join("\n");
}

function mutate(text: string, random: () => number, edits: number): string {
  const chars = [...text];
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (chars.length + 1));
    const c = ALPHABET[Math.floor(random() * ALPHABET.length)];
    const op = random();
    if (op < 0.35) chars.splice(at, 1 + Math.floor(random() * 4));
    else if (op < 0.7) chars.splice(at, 0, c);
    else chars[at] = c;
  }
  return chars.join("");
}

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
  const answer = harness.run(envText(VALID_ENV), VALID_CONFIG);
  assert.equal(assertWellFormed(answer, "baseline"), 0, answer);
  assert.match(answer, /"deviceID": "eth0Mvp3"/);
});

Deno.test(`dispatch fuzz: ${ITERATIONS} mutated configs, env values and CNI_ARGS never trap`, () => {
  const random = mulberry32(0xc0f1);
  const codes = new Map<number, number>();
  for (let i = 0; i < ITERATIONS; i++) {
    const env = { ...VALID_ENV };
    env.CNI_COMMAND = COMMANDS[Math.floor(random() * COMMANDS.length)];
    for (const key of Object.keys(env)) {
      if (random() < 0.15) env[key] = mutate(env[key], random, 1 + Math.floor(random() * 3));
      if (random() < 0.03) delete env[key];
    }
    const stdin = random() < 0.9 ? mutate(VALID_CONFIG, random, 1 + Math.floor(random() * 6)) : "";
    const context = JSON.stringify({ env, stdin });
    const code = assertWellFormed(harness.run(envText(env), stdin), context);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  assert.ok((codes.get(0) ?? 0) > 0 && (codes.get(1) ?? 0) > 0, `both outcomes reached: ${[...codes]}`);
});

Deno.test("dispatch fuzz: structured type confusion in every config field", () => {
  const random = mulberry32(0x7e57);
  const base = JSON.parse(VALID_CONFIG) as Record<string, unknown>;
  const odd = [null, true, 0, -1, 1e300, 1.5, "", "x".repeat(300), [], [1, "a"], {}, { type: 7 }];
  for (let i = 0; i < ITERATIONS / 3; i++) {
    const config: Record<string, unknown> = structuredClone(base);
    const keys = Object.keys(config);
    const key = keys[Math.floor(random() * keys.length)];
    config[key] = odd[Math.floor(random() * odd.length)];
    assertWellFormed(harness.run(envText(VALID_ENV), JSON.stringify(config)), JSON.stringify(config));
  }
});
