// The WASI preview1 subset, through the native probe: args, environ, stdin, stdout, stderr, exit codes,
// clock, random, both modes, and the refusals a well-behaved module never meets.
import assert from "node:assert/strict";
import { PROBE, runProbe } from "./_probe.ts";

Deno.test("fd_read/fd_write: stdin reaches the module, stdout and stderr reach the caller", async () => {
  const config = '{"cniVersion":"1.0.0","name":"n"}';
  const run = await runProbe(["echo", "0"], { stdin: config });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, config);
  assert.equal(run.stderr, "to-stderr\n");
});

Deno.test("fd_read: a 3 MiB stdin arrives whole (a config may be large; the module sets the limit)", async () => {
  const big = `{"x":"${"a".repeat(3 << 20)}"}`;
  const run = await runProbe(["echo", "0"], { stdin: big });
  assert.equal(run.code, 0);
  assert.equal(run.stdout.length, big.length);
});

Deno.test("proc_exit: the exit code is the module's, and stdout written before it is kept", async () => {
  for (const code of [0, 1, 3, 7, 255]) {
    const run = await runProbe(["exit", String(code)]);
    assert.equal(run.code, code, `exit ${code}`);
    assert.equal(run.stdout, "partial output\n", `exit ${code}`);
  }
});

Deno.test("args/environ: the module sees argv and exactly the CNI_* variables that are set", async () => {
  const run = await runProbe(["env", "x y"], {
    env: {
      CNI_COMMAND: "ADD",
      CNI_IFNAME: "net1",
      CNI_ARGS: "",
      PATH: "/usr/bin:/bin",
      HOME: "/root",
      SECRET_TOKEN: "x",
      CNI_EXTRA: "not a CNI variable",
    },
  });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("arg=")), [`arg=${PROBE}`, "arg=env", "arg=x y"]);
  assert.deepEqual(
    lines.filter((l) => l.startsWith("env=")).sort(),
    ["env=CNI_ARGS=", "env=CNI_COMMAND=ADD", "env=CNI_IFNAME=net1"],
  );
});

Deno.test("stream mode: the module's environment is empty", async () => {
  const run = await runProbe(["env"], { stream: true, env: { CNI_COMMAND: "ADD", PATH: "/bin" } });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!run.stdout.includes("env="), run.stdout);
});

Deno.test("clock_time_get/random_get: realtime is now, monotonic advances, Math.random is seeded", async () => {
  const before = Date.now();
  const run = await runProbe(["clock"]);
  assert.equal(run.code, 0, run.stderr);
  const realtime = Number(run.values.get("realtime_ms"));
  assert.ok(realtime >= before - 1000 && realtime <= Date.now() + 1000, `realtime ${realtime}`);
  assert.equal(run.values.get("monotonic_ok"), "true");
  const randoms = new Set<string>();
  for (let i = 0; i < 3; i++) randoms.add((await runProbe(["clock"])).values.get("random") ?? "");
  assert.equal(randoms.size, 3, "a fresh seed per run");
});

Deno.test("stream mode: stdin read on demand, stdout written through (a later trap cannot take it back)", async () => {
  const echo = await runProbe(["echo", "2"], { stream: true, stdin: "line\n" });
  assert.deepEqual([echo.code, echo.stdout], [2, "line\n"]);
  const trapped = await runProbe(["abort"], { stream: true });
  assert.equal(trapped.code, 1);
  assert.ok(trapped.stdout.startsWith('{"half": "a result{"cniVersion"'), trapped.stdout);
});

Deno.test("refusals: fds other than 0-2 (and the wrong direction) are EBADF, CPU clocks EINVAL, close once", async () => {
  const run = await runProbe(["wasi-refusals"]);
  assert.equal(run.code, 0, run.stderr);
  const WASI_EBADF = "8";
  assert.deepEqual(Object.fromEntries(run.values), {
    write_fd3: WASI_EBADF,
    write_fd0: WASI_EBADF,
    read_fd1: WASI_EBADF,
    clock_cputime: "28",
    close_fd5: WASI_EBADF,
    close_fd2: "0",
    close_fd2_again: WASI_EBADF,
    write_closed_fd2: WASI_EBADF,
  });
});

Deno.test("a runtime that starts the plugin with stdin, stdout or stderr closed still gets a clean run", async () => {
  const out = await new Deno.Command("sh", {
    args: ["-c", `"$0" echo 0 <&- 2>&-`, PROBE],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), "");
});
