import assert from "node:assert/strict";
import { EXEC_PATH, ExecTimer, mustSucceed } from "./exec_timer.ts";

const env = { PATH: EXEC_PATH };

Deno.test("exec timer: exit codes, stdin to stdout, stderr, and a sequence stops at its first failure", async () => {
  await using timer = await ExecTimer.start();
  const echoed = await timer.one({ argv: ["/bin/cat"], env, stdin: "config on stdin" });
  assert.equal(echoed.code, 0);
  assert.equal(echoed.stdout, "config on stdin");
  const failed = await timer.sequence([
    { argv: ["/bin/sh", "-c", "echo why >&2; exit 3"], env },
    { argv: ["/bin/true"], env },
  ]);
  assert.equal(failed.runs.length, 1);
  assert.equal(failed.runs[0]!.code, 3);
  assert.equal(failed.runs[0]!.stderr, "why\n");
  assert.throws(() => mustSucceed(failed, "the chain"), /the chain failed \(exit 3\): why/);
  const missing = await timer.one({ argv: ["/nonexistent/program"], env });
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /cannot run \/nonexistent\/program/);
});

Deno.test("exec timer: a killed child reports 128 + signal, and its own environment only", async () => {
  await using timer = await ExecTimer.start();
  const killed = await timer.one({ argv: ["/bin/sh", "-c", "kill -9 $$"], env });
  assert.equal(killed.code, 137);
  const printed = await timer.one({ argv: ["/usr/bin/env"], env: { ONLY: "this" } });
  assert.equal(printed.stdout, "ONLY=this\n");
});

Deno.test("exec timer: parallel jobs overlap; each time is its own", async () => {
  await using timer = await ExecTimer.start();
  const jobs = Array.from({ length: 4 }, () => ({ argv: ["/bin/sleep", "0.3"], env }));
  const batch = mustSucceed(await timer.parallel(jobs), "sleeps");
  assert.equal(batch.runs.length, 4);
  assert.ok(batch.wallMs >= 300 && batch.wallMs < 1000, `4 × 0.3 s in parallel took ${batch.wallMs} ms`);
  for (const run of batch.runs) assert.ok(run.ms >= 300 && run.ms < 1000, `one sleep took ${run.ms} ms`);
});

Deno.test("exec timer: peak RSS is the child's own, not the spawner's", async () => {
  await using timer = await ExecTimer.start();
  const small = await timer.one({ argv: ["/bin/true"], env });
  assert.ok(small.maxrssKiB > 0 && small.maxrssKiB < 4096, `/bin/true peaked at ${small.maxrssKiB} KiB`);
  // 64 MiB touched by the child itself shows up whole.
  const bigger = await timer.one({
    argv: ["/usr/bin/python3", "-c", "b = bytearray(64 << 20)"],
    env,
  });
  assert.ok(bigger.maxrssKiB > 64 * 1024, `python with 64 MiB peaked at ${bigger.maxrssKiB} KiB`);
  assert.ok(bigger.userMs + bigger.sysMs > 0, "CPU time of the child is reported");
});
