import assert from "node:assert/strict";
import { packagesFor } from "../tools/prepare.ts";
import { NEEDS_ROOT } from "./netns.ts";
import { DIST_DIR } from "../tools/build.ts";
import {
  debianPackageOf,
  findProgram,
  PACKAGE_OF,
  requirePrograms,
  rootTestDefinition,
} from "./root_gate.ts";

const body = () => {};

Deno.test("root gate: every package it names is one `deno task test` installs (tools/prepare.ts)", () => {
  const installed = new Set(packagesFor("test"));
  for (const [program, pkg] of Object.entries(PACKAGE_OF)) {
    assert.ok(installed.has(pkg), `${program}: ${pkg} is not in tools/prepare.ts's test packages`);
  }
});

Deno.test("root gate: not root, the test is ignored and its name says it needs root", () => {
  const test = rootTestDefinition("makes a netns", body, {}, false);
  assert.equal(test.ignore, true);
  assert.equal(test.name, `makes a netns (${NEEDS_ROOT})`);
});

Deno.test("root gate: as root the test runs under its own name, sanitizers on unless turned off", () => {
  const plain = rootTestDefinition("makes a netns", body, {}, true);
  assert.deepEqual([plain.name, plain.ignore, plain.sanitizeOps, plain.sanitizeResources], [
    "makes a netns",
    false,
    true,
    true,
  ]);
  const daemon = rootTestDefinition("runs the daemon", body, { sanitizers: false }, true);
  assert.deepEqual([daemon.sanitizeOps, daemon.sanitizeResources], [false, false]);
});

Deno.test("root gate: a named skip is ignored with the reason in its name; not root still says root", () => {
  const skipped = rootTestDefinition("runs the image", body, { skip: "podman cannot run containers" }, true);
  assert.equal(skipped.ignore, true);
  assert.equal(skipped.name, "runs the image (skipped: podman cannot run containers)");
  const notRoot = rootTestDefinition("runs the image", body, { skip: "podman cannot run containers" }, false);
  assert.equal(notRoot.name, `runs the image (${NEEDS_ROOT})`);
});

Deno.test("root gate: a missing program fails the test naming its Debian package, the body never runs", async () => {
  let ran = false;
  const test = rootTestDefinition(
    "drives dnsmasq",
    () => {
      ran = true;
    },
    { programs: ["/nonexistent/sbin/dnsmasq"] },
    true,
  );
  await assert.rejects(
    async () => await test.fn!({} as Deno.TestContext),
    { message: "missing: /nonexistent/sbin/dnsmasq (apt-get install dnsmasq-base)" },
  );
  assert.equal(ran, false);
});

Deno.test("root gate: a missing build output says to run the build; every missing one is named", () => {
  assert.throws(
    () => requirePrograms([`${DIST_DIR}/nothing-here`, "/nonexistent/usr/lib/cni/static"]),
    {
      message: `missing: ${DIST_DIR}/nothing-here (run \`deno task build\`), ` +
        "/nonexistent/usr/lib/cni/static (apt-get install containernetworking-plugins)",
    },
  );
});

Deno.test("root gate: a program nobody listed is refused when the test is registered", () => {
  assert.throws(
    () => rootTestDefinition("runs vim", body, { programs: ["vim"] }, true),
    /no Debian package known for "vim"/,
  );
  assert.equal(debianPackageOf(`${DIST_DIR}/cni/macvtap`), null);
});

Deno.test("root gate: programs are found on PATH by name, by path, and only when executable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvtest-gate-" });
  const path = Deno.env.get("PATH");
  try {
    await Deno.writeTextFile(`${dir}/tcpdump`, "#!/bin/sh\n");
    Deno.env.set("PATH", `/nonexistent:${dir}`);
    assert.equal(findProgram("tcpdump"), null, "not executable");
    await Deno.chmod(`${dir}/tcpdump`, 0o755);
    assert.equal(findProgram("tcpdump"), `${dir}/tcpdump`);
    assert.equal(findProgram(`${dir}/tcpdump`), `${dir}/tcpdump`);
    assert.equal(findProgram(`${dir}/ip`), null);
    assert.equal(findProgram("ip"), null, "not on this PATH");
  } finally {
    if (path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", path);
    await Deno.remove(dir, { recursive: true });
  }
});
