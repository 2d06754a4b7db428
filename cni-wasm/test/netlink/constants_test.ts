/**
 * Every constant in cni-wasm/assembly/netlink/constants.ts against the value the
 * kernel's uapi headers give it: the test compiles a tiny C program with gcc that
 * prints each name from <linux/rtnetlink.h> and friends.
 *
 * Requires --allow-read, --allow-write (a temp dir) and --allow-run=gcc; skipped without gcc.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CONSTANTS = fileURLToPath(new URL("../../assembly/netlink/constants.ts", import.meta.url));
const HEADERS = [
  "sys/socket.h",
  "linux/netlink.h",
  "linux/rtnetlink.h",
  "linux/if_link.h",
  "linux/if_addr.h",
  "linux/if.h",
  "linux/if_arp.h",
];
/**
 * Names newer than the installed linux-libc-dev (6.1), with the value from the
 * kernel source (linux/if_link.h of 6.4+, where they were added). Checked by value here instead.
 */
const NEWER_THAN_HEADERS: Record<string, number> = { IFLA_MACVLAN_BC_CUTOFF: 9 };

const WIDTH_MASK: Record<string, (n: number) => number> = {
  u8: (n) => n & 0xff,
  u16: (n) => n & 0xffff,
  u32: (n) => n >>> 0,
  i32: (n) => n | 0,
};

/** `value` wrapped to the width of AssemblyScript type `type` (u8, u16, u32 or i32). */
function masked(type: string | undefined, value: number): number {
  const mask = WIDTH_MASK[type ?? ""];
  if (mask === undefined) {
    throw new Error(`constants.ts declares a constant of type ${type}, not u8/u16/u32/i32`);
  }
  return mask(value);
}

/** name → value, evaluating each right-hand side with the names defined above it, masked to its type. */
function ourConstants(): Map<string, number> {
  const values = new Map<string, number>();
  const pattern = /^export const (\w+): (u8|u16|u32|i32) = (.+);$/;
  for (const line of Deno.readTextFileSync(CONSTANTS).split("\n")) {
    const match = line.match(pattern);
    if (!match) continue;
    const [, name = "", type, expression] = match;
    const evaluate = new Function(...values.keys(), `return (${expression});`);
    values.set(name, masked(type, evaluate(...values.values())));
  }
  return values;
}

async function hasGcc(): Promise<boolean> {
  try {
    return (await new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** name → value as the uapi headers define it (printed by a compiled C program). */
async function kernelConstants(names: string[]): Promise<Map<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "nlconst-" });
  try {
    const lines = names.map((n) => `  printf("%s %lld\\n", "${n}", (long long)(${n}));`);
    const program = [
      ...HEADERS.map((h) => `#include <${h}>`),
      "#include <stdio.h>",
      "int main(void) {",
      ...lines,
      "  return 0;",
      "}",
    ];
    await Deno.writeTextFile(`${dir}/c.c`, program.join("\n"));
    const build = await new Deno.Command("gcc", { args: ["-o", `${dir}/c`, `${dir}/c.c`], stderr: "piped" })
      .output();
    assert.ok(build.success, `gcc: ${new TextDecoder().decode(build.stderr)}`);
    const run = await new Deno.Command(`${dir}/c`, { stdout: "piped" }).output();
    const out = new Map<string, number>();
    for (const line of new TextDecoder().decode(run.stdout).trim().split("\n")) {
      const [name = "", value] = line.split(" ");
      out.set(name, Number(value));
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "constants: every value equals the kernel uapi headers' (gcc)",
  ignore: !(await hasGcc()),
  fn: async () => {
    const ours = ourConstants();
    assert.ok(ours.size > 150, `parsed only ${ours.size} constants`);
    const kernel = await kernelConstants([...ours.keys()].filter((n) => !(n in NEWER_THAN_HEADERS)));
    for (const [name, value] of Object.entries(NEWER_THAN_HEADERS)) kernel.set(name, value);
    const mismatches = [...ours].filter(([name, value]) => {
      const type = Deno.readTextFileSync(CONSTANTS).match(new RegExp(`export const ${name}: (\\w+)`))![1];
      return masked(type, kernel.get(name)!) !== value;
    });
    assert.deepEqual(mismatches, []);
  },
});
