// ipam_exec / ipam_output with small fake plugins in a temporary CNI_PATH, through the native probe: the
// lookup, the environment a delegate gets, stdin and stdout through pipes, and every way a plugin can
// misbehave (hang with children, flood stdout, vanish, close stdin early).
import assert from "node:assert/strict";
import { runProbe } from "./_probe.ts";

/** Two CNI_PATH dirs with scripts; removed on dispose. */
async function fakeCniPath(): Promise<{ first: string; second: string; path: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "mvtest-cnipath-" });
  const [first, second] = [`${root}/first`, `${root}/second`];
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

/** What a fake plugin reports: its command, stdin, and its whole environment (names). */
const REPORTER = `
echo "reporter stderr" >&2
printf '{"command":"%s","stdin":%s,"env":"%s"}\\n' \\
  "$CNI_COMMAND" "$(cat)" "$(env | cut -d= -f1 | grep -v '^PWD$' | sort | tr '\\n' ' ')"
exit 3`;

Deno.test("ipam_exec: the first executable of that name in CNI_PATH runs with stdin and the runtime's environment", async () => {
  await using cni = await fakeCniPath();
  await Deno.writeTextFile(`${cni.first}/reporter`, "not executable, must be skipped");
  await script(`${cni.second}/reporter`, REPORTER);
  const env = {
    CNI_COMMAND: "ADD",
    CNI_IFNAME: "net1",
    CNI_PATH: cni.path,
    PATH: "/usr/bin:/bin",
    KUBECONFIG: "/etc/cni/net.d/kubeconfig",
    HTTPS_PROXY: "http://proxy:3128",
  };
  const run = await runProbe(["ipam", "reporter", "DEL"], { env, stdin: '{"ipam":{"type":"reporter"}}' });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.values.get("status"), "3");
  assert.equal(run.values.get("copied"), run.values.get("result"));
  const reported = JSON.parse(run.values.get("output") ?? "");
  assert.equal(reported.command, "DEL", "CNI_COMMAND is replaced");
  assert.deepEqual(reported.stdin, { ipam: { type: "reporter" } });
  assert.equal(
    reported.env.trim(),
    "CNI_COMMAND CNI_IFNAME CNI_PATH HTTPS_PROXY KUBECONFIG PATH",
    "the delegate gets the same environment as the plugin (CNI spec), not only CNI_* and PATH",
  );
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
    const started = performance.now();
    const run = await runProbe(["ipam", type, "ADD"], { env });
    assert.equal(run.values.get("result"), "-110", `${type}: ${run.stdout} ${run.stderr}`);
    assert.ok(performance.now() - started < 10_000, `${type} ended within the grace period`);
  }
  for (const pid of (await Deno.readTextFile(pids)).trim().split("\n")) {
    assert.ok(await hasEnded(Number(pid)), `grandchild ${pid} was killed`);
  }
});

Deno.test("ipam_exec: a plugin printing 10 MB is stopped at 4 MiB with -EMSGSIZE, its group killed", async () => {
  await using cni = await fakeCniPath();
  const pids = `${cni.first}/pids`;
  await script(`${cni.first}/flood`, `sleep 30 & echo $! >> ${pids}; head -c 10000000 /dev/zero; wait`);
  const run = await runProbe(["ipam", "flood", "ADD"], { env: { CNI_PATH: cni.path } });
  assert.equal(run.values.get("result"), "-90", run.stdout);
  for (const pid of (await Deno.readTextFile(pids)).trim().split("\n")) {
    assert.ok(await hasEnded(Number(pid)), `child ${pid} was killed`);
  }
});

Deno.test("ipam_exec: stdin of several MB reaches the plugin whole; one that stops reading early is fine", async () => {
  await using cni = await fakeCniPath();
  await script(`${cni.first}/counter`, "wc -c");
  await script(`${cni.first}/deaf`, "echo '{}'");
  const stdin = `{"x":"${"y".repeat(3 << 20)}"}`;
  const counted = await runProbe(["ipam", "counter", "ADD"], { env: { CNI_PATH: cni.path }, stdin });
  assert.equal(counted.values.get("output")?.trim(), String(stdin.length));
  const deaf = await runProbe(["ipam", "deaf", "ADD"], { env: { CNI_PATH: cni.path }, stdin });
  assert.deepEqual([deaf.code, deaf.values.get("status"), deaf.values.get("output")], [0, "0", "{}"]);
});

Deno.test("ipam_exec: a plugin that exits at once, leaving a child that holds its stdout, does not make the host wait", async () => {
  await using cni = await fakeCniPath();
  // The child keeps the plugin's stdout (the host's pipe) open; its stderr goes elsewhere so that only
  // the host, not this test's own capture of the probe's stderr, could be kept waiting.
  await script(`${cni.first}/detached`, `sleep 5 2>/dev/null & echo '{"ok":true}'`);
  const started = performance.now();
  const run = await runProbe(["ipam", "detached", "ADD"], { env: { CNI_PATH: cni.path } });
  assert.equal(run.values.get("output")?.trim(), '{"ok":true}');
  assert.ok(performance.now() - started < 4000, "the host answered when the plugin itself ended");
});

Deno.test("ipam_exec: the exit status of a plugin killed by a signal is 128 + the signal", async () => {
  await using cni = await fakeCniPath();
  await script(`${cni.first}/crash`, "kill -SEGV $$");
  const run = await runProbe(["ipam", "crash", "ADD"], { env: { CNI_PATH: cni.path } });
  assert.deepEqual([run.values.get("result"), run.values.get("status")], ["0", String(128 + 11)]);
});

Deno.test("ipam_exec: a type not in CNI_PATH is -ENOENT; CNI_PATH unset or relative is -ENOENT", async () => {
  await using cni = await fakeCniPath();
  await script(`${cni.first}/here`, "echo '{}'");
  const result = async (type: string, env: Record<string, string>) =>
    (await runProbe(["ipam", type, "ADD"], { env })).values.get("result");
  assert.equal(await result("nothere", { CNI_PATH: cni.path }), "-2");
  assert.equal(await result("sh", {}), "-2", "PATH is never searched");
  assert.equal(await result("here", { CNI_PATH: "first" }), "-2", "relative CNI_PATH entries are skipped");
  assert.equal(
    await result("here", { CNI_PATH: `:${cni.first}//:` }),
    "3",
    "empty entries, doubled slashes are fine",
  );
});

Deno.test("ipam_exec: a type that is a path, hidden or NUL-cut, or a bad command, is -EINVAL", async () => {
  await using cni = await fakeCniPath();
  await script(`${cni.second}/reporter`, REPORTER);
  const env = { CNI_PATH: cni.path };
  for (const type of ["../second/reporter", "second/reporter", ".hidden", "", "-x", "a b", "x".repeat(300)]) {
    assert.equal((await runProbe(["ipam", type, "ADD"], { env })).values.get("result"), "-22", type);
  }
  for (const command of ["add; rm", "add", "", "ADD\n"]) {
    assert.equal(
      (await runProbe(["ipam", "reporter", command], { env })).values.get("result"),
      "-22",
      command,
    );
  }
  assert.equal((await runProbe(["nul-names"])).values.get("ipam_exec"), "-22");
});

/**
 * True once the process is gone or a zombie. SIGKILL is sent before the probe exits, but on a loaded machine
 * the victim may take a moment to be scheduled and die: give it a second, far below its own 30 s sleep.
 */
async function hasEnded(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 1000; waited += 20) {
    if (!(await isRunning(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** True while the process exists and is not a zombie (killed but not reaped by init yet). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
