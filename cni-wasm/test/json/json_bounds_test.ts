// The JSON module's bounds (so no stdin up to the 4 MiB limit can make the plugin trap): a document holds at
// most 65,536 values (the cap is an error naming it, never a trap), every prevResult-heavy shape the
// memory-ceiling test sends round-trips exactly like JSON.parse, and a number read from text prints back as
// written (AssemblyScript's float parsing and printing alone would move some doubles by one ulp).
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { MAX_VALUES, randomHeavyConfigs, worstShapes } from "../fuzz/_heavy_inputs.ts";

interface JsonModule {
  roundTrip(text: string): string;
}

const json = await loadModule<JsonModule>("json");

/** A top-level array holding `count` values in all (itself included). */
function arrayOfValues(count: number): string {
  return `[${Array(count - 1).fill("0").join(",")}]`;
}

Deno.test("json: exactly 65,536 values parse; one more is an error naming the cap", () => {
  assert.ok(json.roundTrip(arrayOfValues(MAX_VALUES)).startsWith("ok:"));
  const over = json.roundTrip(arrayOfValues(MAX_VALUES + 1));
  assert.match(over, /^err:JSON document holds more than 65536 values at offset \d+$/);
});

Deno.test("json: the memory-ceiling test's configs round-trip like JSON.parse", () => {
  const configs = [...worstShapes("heavyMvp0000"), ...randomHeavyConfigs("heavyMvp0000", 8)];
  for (const config of configs) {
    const ours = json.roundTrip(config.text);
    if (ours.startsWith("err:")) {
      assert.match(ours, /more than 65536 values/, config.name);
      continue;
    }
    assert.deepEqual(JSON.parse(ours.slice(3)), JSON.parse(config.text), config.name);
  }
});

Deno.test("json: numbers with a fraction, an exponent or over 15 digits print as written", () => {
  const numbers = ["4.492169481236487e-8", "1500.0", "1E+2", "9007199254740993", "-0.0", "1e20"];
  assert.equal(json.roundTrip(`[${numbers.join(",")}]`), `ok:[${numbers.join(",")}]`);
  assert.equal(json.roundTrip("[1500,-0,0,-42,123456789012345]"), "ok:[1500,-0,0,-42,123456789012345]");
});
