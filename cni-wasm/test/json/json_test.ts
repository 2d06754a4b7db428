import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { mulberry32 } from "../../../testing/random.ts";

interface JsonModule {
  roundTrip(text: string): string;
  pretty(text: string): string;
}

const json = await loadModule<JsonModule>("json");

/**
 * Our parser must agree with the platform's JSON.parse on every input, with one
 * deliberate difference: numbers beyond f64 (1e999) are an error, not Infinity.
 */
function assertAgreesWithPlatform(text: string): void {
  const ours = json.roundTrip(text);
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch {
    assert.ok(ours.startsWith("err:"), `accepted invalid JSON ${JSON.stringify(text)}: ${ours}`);
    return;
  }
  if (JSON.stringify(expected, (_k, v) => v === Infinity || v === -Infinity ? "INF" : v).includes('"INF"')) {
    assert.match(ours, /^err:number out of range/, `for ${JSON.stringify(text)}`);
    return;
  }
  assert.ok(ours.startsWith("ok:"), `rejected valid JSON ${JSON.stringify(text)}: ${ours}`);
  assert.deepEqual(JSON.parse(ours.slice(3)), expected, `round trip of ${JSON.stringify(text)}`);
}

const VALID = [
  `{}`,
  `[]`,
  `null`,
  ` true `,
  `{"cniVersion":"1.0.0","name":"net","type":"macvtap","mtu":1500,"promiscMode":false}`,
  `{"a":[1,-2,3.5,1e3,-0.25E-2,0],"b":{"c":null,"d":[{}]}}`,
  `"\\u00e9\\ud83d\\ude00 \\" \\\\ \\/ \\b\\f\\n\\r\\t"`,
  `{"dup":1,"dup":2}`,
  `"naïve ünïcode ✓"`,
  `9007199254740991`,
  `[[[[[[[[[[]]]]]]]]]]`,
];

const INVALID = [
  ``,
  `{`,
  `{"a"}`,
  `{"a":}`,
  `{"a":1,}`,
  `[1,]`,
  `01`,
  `1.`,
  `.5`,
  `-`,
  `1e`,
  `tru`,
  `nul`,
  `"unterminated`,
  `"bad \\x escape"`,
  `"\\u12"`,
  `"ctl \u0001 char"`,
  `{"a":1} x`,
  `{'a':1}`,
  `NaN`,
  `1e999`,
];

Deno.test("json: valid documents round-trip like JSON.parse", () => {
  for (const text of VALID) assertAgreesWithPlatform(text);
});

Deno.test("json: invalid documents are errors with an offset, never traps", () => {
  for (const text of INVALID) {
    const ours = json.roundTrip(text);
    assert.match(ours, /^err:.* at offset \d+$/, `for ${JSON.stringify(text)}`);
  }
});

Deno.test("json: duplicate keys resolve to the last value, like Go's encoding/json", () => {
  assert.equal(json.roundTrip(`{"dup":1,"dup":2}`), `ok:{"dup":1,"dup":2}`);
});

Deno.test("json: integers print without a fraction, strings escape control characters", () => {
  assert.equal(json.roundTrip(`[1500, 1.5, -7, 0]`), `ok:[1500,1.5,-7,0]`);
  assert.equal(json.roundTrip(`"a\\u0001b\\n"`), `ok:"a\\u0001b\\n"`);
});

Deno.test("json: nesting deeper than 64 levels is refused", () => {
  assert.match(json.roundTrip("[".repeat(65) + "]".repeat(65)), /^err:JSON nested deeper/);
  assert.match(json.roundTrip("[".repeat(64) + "]".repeat(64)), /^ok:/);
  assert.match(json.roundTrip("[".repeat(100_000)), /^err:/);
});

Deno.test("json: indented output matches JSON.stringify with 4 spaces", () => {
  const doc = { cniVersion: "1.0.0", interfaces: [{ name: "net1", mac: "02:00:00:00:00:01" }], dns: {} };
  assert.equal(json.pretty(JSON.stringify(doc)), JSON.stringify(doc, null, 4));
});

Deno.test("json: fuzz — mutated and random inputs agree with JSON.parse", () => {
  const random = mulberry32(0x5eed);
  const alphabet = `{}[]":,.-+eE0123456789 \\untrlsfa\u00e9\u0001`;
  for (let i = 0; i < 3000; i++) {
    const base = VALID[i % VALID.length]!;
    const chars = [...base];
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (chars.length + 1));
      const c = alphabet.charAt(Math.floor(random() * alphabet.length));
      const op = random();
      if (op < 0.4) chars.splice(at, 1);
      else if (op < 0.8) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    assertAgreesWithPlatform(chars.join(""));
  }
  for (let i = 0; i < 1000; i++) {
    const length = Math.floor(random() * 24);
    let text = "";
    for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
    assertAgreesWithPlatform(text);
  }
});
