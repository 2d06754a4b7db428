// `deno task demo` end to end: exits 0, shows every step, and leaves no netns, /dev/tapN or process behind.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ip, TEST_NETNS_PREFIX } from "../testing/netns.ts";
import { rootTest } from "../testing/root_gate.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

rootTest(
  "demo: the whole pod-start path runs, every step reports, nothing is left behind",
  async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    for (let step = 1; step <= 9; step++) {
      assert.match(text, new RegExp(`\\[${step}\\] `), `step ${step}\n${text}`);
    }
    assert.match(text, /hello\.from\.the\.V/, "tcpdump shows the payload written to /dev/tapN");
    assert.match(text, /type 0x88b5: hello VM/);
    assert.match(text, /IPAM leases held: none/);
    assert.match(text, /nothing left behind/);
    const namespaces = (await ip("netns", "list")).split("\n").filter((l) =>
      l.startsWith(`${TEST_NETNS_PREFIX}demo-`)
    );
    assert.deepEqual(namespaces, []);
    const stray = await new Deno.Command("pgrep", { args: ["-f", "dist/link-broker|daemon/main.ts"] })
      .output();
    assert.equal(new TextDecoder().decode(stray.stdout).trim(), "", "no daemon or broker process left");
  },
);
