/**
 * Re-records the tables in this folder: runs the command line for each plugin (all the versions its
 * VERSION lists, unless its recipe says otherwise) and writes <plugin>/table.txt, the per-rule table with
 * the notes on failures and known deviations.
 *
 *   deno run -A conformance/results/record.ts [bridge ptp macvlan host-device macvtap macvtap-ipam]
 *
 * Paths of the repository are written relative to it ("./conformance/..."), so the tables do not depend
 * on where the checkout lives. Requires root and -A (what conformance/main.ts needs).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { MAIN, RECIPES } from "./recipes.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** Runs one recipe; returns the command line's exit status. */
async function record(name: string): Promise<number> {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`no recipe "${name}" (known: ${Object.keys(RECIPES).join(", ")})`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      ...recipe.args,
      ...(recipe.versions ? ["--versions", recipe.versions] : []),
    ],
    cwd: REPO,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const table = text.slice(text.indexOf("CNI conformance report"));
  if (!table.startsWith("CNI conformance report")) {
    throw new Error(`${name}: no table in the output:\n${text}`);
  }
  await Deno.writeTextFile(`${HERE}${name}/table.txt`, relative(table).trimEnd() + "\n");
  return out.code;
}

function relative(text: string): string {
  return text.replaceAll(REPO, ".");
}

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(RECIPES);
  for (const name of names) {
    const started = performance.now();
    const code = await record(name);
    console.log(`${name}: exit ${code} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}
