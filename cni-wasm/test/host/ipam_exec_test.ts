// ipam_exec / ipam_output with tiny fake plugins in a temporary CNI_PATH, run
// through the real launcher (its --allow-run=<timeout> is what grants them).
import assert from "node:assert/strict";
import { IPAM_TYPE_PATTERN } from "../../host/ipam_exec.ts";
import { runLauncher } from "./_probe_dist.ts";

/** Two CNI_PATH dirs with scripts; removed on dispose. */
async function fakeCniPath(): Promise<{ first: string; second: string; path: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "mvtest-cnipath-" });
  const first = `${root}/first`;
  const second = `${root}/second`;
  await Deno.mkdir(first);
  await Deno.mkdir(second);
  return {
    first,
    second,
    path: `${first}:${second}`,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

async function script(path: string, body: string, mode = 0o755): Promise<void> {
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, mode);
}

/** What a fake plugin reports: its command, ifname, stdin and the names of its environment. */
const REPORTER = `
echo "reporter stderr" >&2
printf '{"command":"%s","ifname":"%s","stdin":%s,"env":"%s"}\\n' \\
  "$CNI_COMMAND" "$CNI_IFNAME" "$(cat)" "$(env | cut -d= -f1 | grep -v '^PWD$' | sort | tr '\\n' ' ')"
exit 3`;

Deno.test("ipam_exec: runs the first executable of that name in CNI_PATH, with stdin, CNI_* and PATH", async () => {
  await using cni = await fakeCniPath();
  await Deno.writeTextFile(`${cni.first}/reporter`, "not executable, must be skipped");
  await script(`${cni.second}/reporter`, REPORTER);
  const env = { CNI_COMMAND: "ADD", CNI_IFNAME: "net1", CNI_PATH: cni.path, PATH: "/usr/bin:/bin" };
  const run = await runLauncher(["ipam", "reporter", "DEL"], { env, stdin: '{"ipam":{"type":"reporter"}}' });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.values.get("status"), "3");
  assert.equal(run.values.get("copied"), run.values.get("result"));
  const reported = JSON.parse(run.values.get("output") ?? "");
  assert.equal(reported.command, "DEL", "CNI_COMMAND is overridden");
  assert.equal(reported.ifname, "net1");
  assert.deepEqual(reported.stdin, { ipam: { type: "reporter" } });
  assert.equal(reported.env.trim(), "CNI_COMMAND CNI_IFNAME CNI_PATH PATH");
  assert.match(run.stderr, /reporter stderr/, "the plugin's stderr passes through");
});

Deno.test("ipam_exec: a plugin that outlives the timeout is killed, with its children: -ETIMEDOUT", async () => {
  await using cni = await fakeCniPath();
  const pids = `${cni.first}/pids`;
  // One plugin dies at TERM, one ignores it (KILL follows); both leave a grandchild behind.
  await script(`${cni.first}/slow`, `sleep 30 & echo $! >> ${pids}; wait`);
  await script(`${cni.first}/stubborn`, `trap '' TERM; sleep 30 & echo $! >> ${pids}; wait; wait`);
  for (const type of ["slow", "stubborn"]) {
    const env = { CNI_PATH: cni.path, MACVTAP_IPAM_TIMEOUT_MS: "300" };
    const run = await runLauncher(["ipam", type, "ADD"], { env });
    assert.equal(run.values.get("result"), "-110", `${type}: ${run.stdout} ${run.stderr}`);
  }
  for (const pid of (await Deno.readTextFile(pids)).trim().split("\n")) {
    assert.ok(!(await isRunning(Number(pid))), `grandchild ${pid} was killed`);
  }
});

Deno.test("ipam_exec: a type not in CNI_PATH is -ENOENT; CNI_PATH unset is -ENOENT", async () => {
  await using cni = await fakeCniPath();
  assert.equal(
    (await runLauncher(["ipam", "nothere", "ADD"], { env: { CNI_PATH: cni.path } })).values.get("result"),
    "-2",
  );
  assert.equal((await runLauncher(["ipam", "sh", "ADD"])).values.get("result"), "-2");
});

Deno.test("ipam_exec: a type that is a path or hidden, or a bad command, is -EINVAL", async () => {
  await using cni = await fakeCniPath();
  await script(`${cni.second}/reporter`, REPORTER);
  const env = { CNI_PATH: cni.path };
  for (const type of ["../second/reporter", "second/reporter", ".hidden", "", "-x"]) {
    assert.equal((await runLauncher(["ipam", type, "ADD"], { env })).values.get("result"), "-22", type);
  }
  assert.equal((await runLauncher(["ipam", "reporter", "add; rm"], { env })).values.get("result"), "-22");
});

Deno.test("IPAM_TYPE_PATTERN: bare CNI binary names only", () => {
  for (const good of ["host-local", "static", "dhcp", "whereabouts", "a.b_c-1"]) {
    assert.ok(IPAM_TYPE_PATTERN.test(good));
  }
  for (const bad of ["", ".", "..", "a/b", "/bin/sh", "-rf", "a b", "a\n"]) {
    assert.ok(!IPAM_TYPE_PATTERN.test(bad));
  }
});

/** True while the process exists and is not a zombie (killed but not reaped by init yet). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
