// The WASI preview1 subset: through the real launcher with the probe module
// (args, environ, stdin, stdout, stderr, exit codes, clock, random), and
// in-process for the refusals a well-behaved module never triggers.
import assert from "node:assert/strict";
import { ModuleMemory } from "../../host/memory.ts";
import { type ByteSink, ProcExit, readAll, Wasi } from "../../host/wasi.ts";
import { LIBC_PATH, probeDist, runHostDirect, runLauncher } from "./_probe_dist.ts";

Deno.test("fd_read/fd_write: stdin reaches the module, stdout and stderr reach the caller", async () => {
  const config = '{"cniVersion":"1.0.0","name":"n"}';
  const run = await runLauncher(["echo", "0"], { stdin: config });
  assert.equal(run.code, 0);
  assert.equal(run.stdout, config);
  assert.equal(run.stderr, "to-stderr\n");
});

Deno.test("proc_exit: the exit code is the module's, and stdout written before it is kept", async () => {
  for (const code of [0, 1, 3, 7, 255]) {
    const run = await runLauncher(["exit", String(code)]);
    assert.equal(run.code, code, `exit ${code}`);
    assert.equal(run.stdout, "partial output\n", `exit ${code}`);
  }
});

Deno.test("args/environ: the module sees argv and exactly the CNI_* variables that are set", async () => {
  const run = await runLauncher(["env"], {
    env: {
      CNI_COMMAND: "ADD",
      CNI_IFNAME: "net1",
      CNI_ARGS: "",
      PATH: "/usr/bin:/bin",
      HOME: "/root",
      SECRET_TOKEN: "x",
      DENO_DIR: "/tmp/elsewhere",
    },
  });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("arg=")), ["arg=macvtap", "arg=env"]);
  assert.deepEqual(
    lines.filter((l) => l.startsWith("env=")).sort(),
    ["env=CNI_ARGS=", "env=CNI_COMMAND=ADD", "env=CNI_IFNAME=net1"],
  );
});

Deno.test("clock_time_get/random_get: realtime is now, monotonic advances, Math.random is seeded", async () => {
  const before = Date.now();
  const run = await runLauncher(["clock"]);
  assert.equal(run.code, 0, run.stderr);
  const realtime = Number(run.values.get("realtime_ms"));
  assert.ok(realtime >= before - 1000 && realtime <= Date.now() + 1000, `realtime ${realtime}`);
  assert.equal(run.values.get("monotonic_ok"), "true");
  const random = Number(run.values.get("random"));
  assert.ok(random >= 0 && random < 1);
});

Deno.test("stream mode: stdin read on demand, stdout written through (a later trap cannot take it back)", async () => {
  const dir = await probeDist();
  const hostArgs = [`${dir}/macvtap.wasm`, LIBC_PATH, "--mode=stream"];
  const echo = await runHostDirect([`--allow-read=${dir}`], [...hostArgs, "--", "echo", "2"], {
    stdin: "line\n",
  });
  assert.deepEqual([echo.code, echo.stdout], [2, "line\n"]);
  const trapped = await runHostDirect([`--allow-read=${dir}`], [...hostArgs, "--", "abort"]);
  assert.equal(trapped.code, 1);
  assert.ok(trapped.stdout.startsWith('{"half": "a result{"'), trapped.stdout);
});

/** A Wasi over a bare memory, for calling the imports directly. */
function bareWasi(mode: "cni" | "stream", sink: Uint8Array[] = []) {
  const memory = new ModuleMemory();
  const raw = new WebAssembly.Memory({ initial: 1 });
  memory.attach(raw);
  const collect: ByteSink = { writeSync: (bytes) => (sink.push(bytes.slice()), bytes.byteLength) };
  const wasi = new Wasi(memory, {
    mode,
    args: ["probe"],
    env: {},
    stdinBytes: new TextEncoder().encode("hello"),
    stdout: collect,
    stderr: collect,
  });
  const view = new DataView(raw.buffer);
  return {
    wasi,
    imports: wasi.imports() as unknown as Record<string, (...a: unknown[]) => number>,
    view,
    raw,
  };
}

Deno.test("fd_write: fds other than 1 and 2 are EBADF, out-of-bounds iovecs are EFAULT", () => {
  const { imports, view } = bareWasi("cni");
  view.setUint32(0, 100, true); // iovec.buf
  view.setUint32(4, 5, true); // iovec.len
  assert.equal(imports.fd_write(3, 0, 1, 16), 8);
  assert.equal(imports.fd_write(0, 0, 1, 16), 8);
  assert.equal(imports.fd_write(1, 65536 - 4, 1, 16), 21);
  view.setUint32(4, 1 << 20, true);
  assert.equal(imports.fd_write(1, 0, 1, 16), 21);
});

Deno.test("fd_read: only fd 0; reads the buffered stdin, then 0 bytes at the end", () => {
  const { imports, view, raw } = bareWasi("cni");
  view.setUint32(0, 100, true);
  view.setUint32(4, 3, true);
  assert.equal(imports.fd_read(1, 0, 1, 16), 8);
  assert.equal(imports.fd_read(0, 0, 1, 16), 0);
  assert.equal(view.getUint32(16, true), 3);
  assert.equal(new TextDecoder().decode(new Uint8Array(raw.buffer, 100, 3)), "hel");
  assert.equal(imports.fd_read(0, 0, 1, 16), 0);
  assert.equal(view.getUint32(16, true), 2);
  assert.equal(imports.fd_read(0, 0, 1, 16), 0);
  assert.equal(view.getUint32(16, true), 0);
});

Deno.test("cni mode buffers stdout until flushStdout; discardStdout drops it; stream mode writes through", () => {
  const written: Uint8Array[] = [];
  const cni = bareWasi("cni", written);
  new Uint8Array(cni.raw.buffer, 100, 2).set([0x6f, 0x6b]);
  cni.view.setUint32(0, 100, true);
  cni.view.setUint32(4, 2, true);
  assert.equal(cni.imports.fd_write(1, 0, 1, 16), 0);
  assert.equal(written.length, 0);
  cni.wasi.discardStdout();
  cni.wasi.flushStdout();
  assert.equal(written.length, 0);
  assert.equal(cni.imports.fd_write(1, 0, 1, 16), 0);
  cni.wasi.flushStdout();
  assert.equal(new TextDecoder().decode(written[0]), "ok");

  const streamed: Uint8Array[] = [];
  const stream = bareWasi("stream", streamed);
  stream.view.setUint32(0, 100, true);
  stream.view.setUint32(4, 2, true);
  assert.equal(stream.imports.fd_write(1, 0, 1, 16), 0);
  assert.equal(streamed.length, 1);
});

Deno.test("fd_close: closes the module's view of 0-2 only; clock ids other than 0/1 are EINVAL", () => {
  const { imports } = bareWasi("cni");
  assert.equal(imports.fd_close(1), 0);
  assert.equal(imports.fd_close(1), 8);
  assert.equal(imports.fd_write(1, 0, 0, 16), 8);
  assert.equal(imports.fd_close(5), 8);
  assert.equal(imports.clock_time_get(2, 0n, 0), 28);
  assert.equal(imports.clock_time_get(1, 0n, 65536), 21);
});

Deno.test("proc_exit throws ProcExit with the code", () => {
  const { imports } = bareWasi("cni");
  assert.throws(() => imports.proc_exit(42), (error) => error instanceof ProcExit && error.code === 42);
});

Deno.test("readAll reads a source to its end", () => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])];
  const source = {
    readSync(into: Uint8Array) {
      const next = chunks.shift();
      if (!next) return null;
      into.set(next);
      return next.byteLength;
    },
  };
  assert.deepEqual([...readAll(source)], [1, 2, 3]);
});
