/**
 * The arm64 build: `tools/build.ts --arch arm64` cross-compiles the CNI plugin and the
 * link broker with Debian's aarch64 gcc into static AArch64 executables, and they behave as the amd64 ones
 * under qemu-user-static: the plugin answers VERSION from an empty environment, refuses an ADD without its
 * variables with the spec's code 4; the host compiled for arm64 turns an AssemblyScript abort, an
 * unreachable and a bad pointer into CNI error 999, as on amd64.
 *
 * Skipped, saying why in its name, when the cross compiler or qemu-user-static is missing (tools/prepare.ts
 * installs both for `test`).
 */
import assert from "node:assert/strict";
import { archExecutables, buildAll, CROSS_COMPILERS, HOST_ARCH } from "./build.ts";
import { CNI_WASM_DIR, compileAssembly } from "./asc.ts";
import { compileNative } from "./native.ts";
import { PROBE_MODULE } from "../cni-wasm/test/host/_probe.ts";

const ARCH = "arm64";
const QEMU = "/usr/bin/qemu-aarch64-static";
/** ELF e_machine of AArch64. */
const EM_AARCH64 = 183;

async function found(program: string): Promise<boolean> {
  return await new Deno.Command(program, { args: ["--version"], stdout: "null", stderr: "null" }).output()
    .then((out) => out.success, () => false);
}

const SKIP = HOST_ARCH === ARCH
  ? "this machine is arm64: the ordinary build covers it"
  : !(await found(CROSS_COMPILERS[ARCH]))
  ? `no ${CROSS_COMPILERS[ARCH]} (Debian gcc-aarch64-linux-gnu)`
  : !(await found(QEMU))
  ? `no ${QEMU} (Debian qemu-user-static)`
  : null;

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: SKIP ? `${name} (skipped: ${SKIP})` : name, ignore: SKIP !== null, fn });
}

/** Runs an arm64 program under qemu with exactly `env`, feeding `stdin`. */
async function emulated(program: string, args: string[], env: Record<string, string>, stdin: string) {
  const child = new Deno.Command(QEMU, {
    args: [program, ...args],
    clearEnv: true,
    env,
    cwd: "/",
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** e_machine and whether the ELF file asks for an interpreter (a dynamic executable does). */
function elfFacts(bytes: Uint8Array): { machine: number; dynamic: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "an ELF file");
  assert.equal(bytes[4], 2, "64-bit");
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  const PT_INTERP = 3;
  let dynamic = false;
  for (let i = 0; i < phnum; i++) dynamic ||= view.getUint32(phoff + i * phentsize, true) === PT_INTERP;
  return { machine: view.getUint16(0x12, true), dynamic };
}

test("arm64: the CNI plugin and link broker are static AArch64 executables; the plugin answers under qemu", async () => {
  await buildAll([ARCH]);
  const { cni, broker } = archExecutables(ARCH);
  for (const file of [cni, broker]) {
    assert.deepEqual(elfFacts(await Deno.readFile(file)), { machine: EM_AARCH64, dynamic: false }, file);
  }
  const version = await emulated(cni, [], { CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}');
  assert.equal(version.code, 0, version.stderr);
  assert.deepEqual(JSON.parse(version.stdout).supportedVersions.at(-1), "1.1.0");
  const add = await emulated(
    cni,
    [],
    { CNI_COMMAND: "ADD" },
    '{"cniVersion":"1.0.0","name":"n","type":"macvtap"}',
  );
  assert.equal(add.code, 1);
  assert.equal(JSON.parse(add.stdout).code, 4, add.stdout);
});

test("arm64: the capability host turns abort, unreachable and a bad pointer into CNI error 999", async () => {
  await compileAssembly(PROBE_MODULE);
  const probe = `${CNI_WASM_DIR}/build/test/probe-${ARCH}`;
  await compileNative({
    name: `probe-${ARCH}`,
    wasm: `${CNI_WASM_DIR}/${PROBE_MODULE.outFile}`,
    out: probe,
    cc: CROSS_COMPILERS[ARCH],
  });
  for (
    const [args, details] of [
      [["abort"], /^abort: probe abort at /],
      [["unreachable"], /^wasm trap: Unreachable instruction executed$/],
      [["bad-pointer", "trap"], /outside the module's memory/],
    ] as const
  ) {
    const run = await emulated(probe, [...args], {}, '{"cniVersion":"0.4.0","name":"n"}');
    assert.equal(run.code, 1, `${args}: ${run.stderr}`);
    const error = JSON.parse(run.stdout);
    assert.deepEqual([error.cniVersion, error.code, error.msg], ["0.4.0", 999, "macvtap plugin trapped"]);
    assert.match(error.details, details);
  }
});
