import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { rule, RULES } from "./rules.ts";

const CONFORMANCE_DIR = fileURLToPath(new URL("..", import.meta.url));

Deno.test("rules: ids are unique and every rule has a title and a source", () => {
  assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
  for (const r of RULES) assert.ok(r.title && r.source, r.id);
});

Deno.test("rules: an unknown id is refused, so no case reports into nowhere", () => {
  assert.throws(() => rule("NO-SUCH-RULE"), /unknown conformance rule id "NO-SUCH-RULE"/);
});

Deno.test("rules: every rule is checked by a case and listed in the README", async () => {
  let cases = "";
  for await (const entry of Deno.readDir(`${CONFORMANCE_DIR}/cases`)) {
    if (entry.name.endsWith(".ts")) {
      cases += await Deno.readTextFile(`${CONFORMANCE_DIR}/cases/${entry.name}`);
    }
  }
  const readme = await Deno.readTextFile(`${CONFORMANCE_DIR}/README.md`);
  for (const { id } of RULES) {
    assert.ok(cases.includes(`rule: "${id}"`), `no case checks ${id}`);
    assert.ok(readme.includes(`\`${id}\``), `README does not list ${id}`);
  }
});
