/**
 * The one Debian package list (tools/prepare.ts) by purpose: the demo installs only what the demo runs —
 * each program demo/main.ts starts belongs to a package of its list (or one such a package depends on, or
 * an Essential one every Debian has) — and none of the test-only peers (golang, podman, runc, dnsmasq …);
 * the build needs only the toolchain; the test purpose holds everything.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DEBIAN_PACKAGES, DENO_VERSION, denoVersionProblem, packagesFor, PURPOSES } from "./prepare.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** The programs `deno task demo` starts (demo/main.ts and the broker wrapper script it writes). */
const DEMO_PROGRAMS = ["ip", "tcpdump", "python3", "ls", "sh", "/usr/lib/cni/host-local"];

async function output(program: string, args: string[]): Promise<string | null> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "null" }).output()
    .catch(() => null);
  return out?.success ? new TextDecoder().decode(out.stdout).trim() : null;
}

/**
 * The Debian package that ships `program`, looked up on Debian's own PATH (a fresh machine's; this one may
 * put other pythons first); /usr-merged paths tried both ways.
 */
async function packageOf(program: string): Promise<string> {
  const lookup = `PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v ${program}`;
  const path = program.startsWith("/") ? program : await output("sh", ["-c", lookup]);
  assert.ok(path, `${program} is not installed`);
  for (const candidate of [path, path.replace(/^\/usr\//, "/"), `/usr${path}`]) {
    const owner = await output("dpkg-query", ["-S", candidate]);
    const line = owner?.split("\n").find((l) => !l.startsWith("diversion by"));
    if (line) return line.split(":")[0]!;
  }
  throw new Error(`no Debian package ships ${path}`);
}

/** Packages a package depends on directly (alternatives included). */
async function dependsOf(pkg: string): Promise<string[]> {
  const text = await output("dpkg-query", ["-W", "-f=${Depends},${Pre-Depends}", pkg]) ?? "";
  return text.split(/[,|]/).map((d) => d.trim().split(/[\s:]/)[0] ?? "").filter(Boolean);
}

const HAVE_DPKG = (await output("dpkg-query", ["--version"])) !== null;

Deno.test({
  name: "the demo's package list covers every program the demo starts",
  ignore: !HAVE_DPKG,
  async fn() {
    const demo = packagesFor("demo");
    const reachable = new Set([...demo, ...(await Promise.all(demo.map(dependsOf))).flat()]);
    for (const program of DEMO_PROGRAMS) {
      const pkg = await packageOf(program);
      const essential = await output("dpkg-query", ["-W", "-f=${Essential}", pkg]);
      assert.ok(
        reachable.has(pkg) || essential === "yes",
        `${program} comes from ${pkg}, which the demo does not install`,
      );
    }
  },
});

Deno.test("the demo installs none of the test-only peers; build only the toolchain; test everything", () => {
  const demo = packagesFor("demo");
  for (
    const heavy of [
      "golang-go",
      "golang-github-appc-cni-dev",
      "podman",
      "runc",
      "dnsmasq-base",
      "mmdebstrap",
      "qemu-user-static",
      "gcc-aarch64-linux-gnu",
      "python3-grpcio",
    ]
  ) {
    assert.ok(!demo.includes(heavy), `the demo installs ${heavy}`);
  }
  assert.deepEqual(packagesFor("build"), [...DEBIAN_PACKAGES.build]);
  const all = new Set(Object.values(DEBIAN_PACKAGES).flat());
  assert.deepEqual(new Set(packagesFor("test")), all);
  for (const purpose of PURPOSES) {
    const list = packagesFor(purpose);
    assert.equal(new Set(list).size, list.length, `${purpose} lists a package twice`);
    for (const pkg of DEBIAN_PACKAGES.build) assert.ok(list.includes(pkg), `${purpose} lacks ${pkg}`);
  }
});

Deno.test("prepare refuses any Deno but the project's, saying why and how to run the right one", () => {
  assert.equal(denoVersionProblem(DENO_VERSION), null);
  for (const other of ["2.9.4", "2.9.2", "2.10.0", "3.0.0"]) {
    const problem = denoVersionProblem(other) ?? "";
    assert.match(problem, new RegExp(`Deno ${other.replaceAll(".", "\\.")}.*needs Deno ${DENO_VERSION}`));
    assert.match(problem, /copies the Deno/);
    assert.ok(problem.includes(`npx -y deno@${DENO_VERSION} task`), problem);
  }
});

/** Text files of the repository worth reading for commands: sources, docs, CI (not dependencies or output). */
async function commandFiles(dir = ""): Promise<string[]> {
  const skipped = new Set(["node_modules", "dist", "cni-wasm/build", "bench/results"]);
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}/${dir}`)) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !skipped.has(path) && (entry.name === ".ci" || !entry.name.startsWith("."))) {
      files.push(...await commandFiles(path));
    } else if (entry.isFile && /(\.(ts|md|sh|py)|^run)$/.test(entry.name)) files.push(path);
  }
  return files;
}

Deno.test("Deno's version and Debian's packages are named in one place: every other mention agrees", async () => {
  const problems: string[] = [];
  const known = new Set(packagesFor("test"));
  for (const path of await commandFiles()) {
    if (path === "tools/prepare.ts") continue;
    const text = await Deno.readTextFile(`${ROOT}/${path}`);
    for (const [, version] of text.matchAll(/\bdeno@(\d+\.\d+\.\d+)/g)) {
      if (version !== DENO_VERSION) problems.push(`${path} runs deno@${version}, not ${DENO_VERSION}`);
    }
    for (
      const [, names] of text.matchAll(/\bapt(?:-get)? install((?:\s+-[-\w]+)*(?:\s+[a-z0-9][-a-z0-9.+]+)+)/g)
    ) {
      for (const name of names!.trim().split(/\s+/).filter((word) => !word.startsWith("-"))) {
        if (!known.has(name)) problems.push(`${path} installs ${name}, which tools/prepare.ts does not list`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
