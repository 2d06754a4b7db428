/**
 * Gets a fresh clone ready for one purpose, then builds:
 *
 *   deno run -A tools/prepare.ts build|demo|image|test
 *
 * - the Deno running it must be {@link DENO_VERSION} (refused otherwise, saying why);
 * - npm dependencies (`npm ci`, only when package-lock.json changed): the AssemblyScript compiler, grpc-js;
 * - the Debian packages that purpose needs (only when root and missing; apt's output is kept out of the
 *   way unless it fails): {@link DEBIAN_PACKAGES} is the one list of them;
 * - the build (tools/build.ts, itself incremental).
 *
 * Requires --allow-run (npm, dpkg-query, apt-get, deno), --allow-read and --allow-write on the
 * repository, --allow-env.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The one Deno this project runs on. The image copies the Deno that builds it onto every node (and fills
 * its module cache with it), the daemon's launcher refuses a `deno` of another version than its own, and
 * Deno 2.9.4 to 2.9.6 abort the daemon's grpc-js server under connection churn (daemon/churn_stress_test.ts).
 */
export const DENO_VERSION = "2.9.3";

/** Why Deno `version` is refused, or null when it is {@link DENO_VERSION}. */
export function denoVersionProblem(version: string): string | null {
  if (version === DENO_VERSION) return null;
  return `this is Deno ${version}, but the project needs Deno ${DENO_VERSION}: the image copies the Deno ` +
    `that builds it onto every node, and Deno 2.9.4 to 2.9.6 abort the daemon's gRPC server under ` +
    `connection churn. Run it as \`npx -y deno@${DENO_VERSION} task …\``;
}

/** Debian packages by purpose; `demo` and `image` include `build`, `test` includes them all. */
export const DEBIAN_PACKAGES = {
  /** asc → wasm2c → cc: wasm2c and its runtime, a C compiler and the static libc. */
  build: ["wabt", "gcc", "libc6-dev"],
  /** The demo: ip, host-local, tcpdump, and python3 for the tap reader. */
  demo: ["iproute2", "containernetworking-plugins", "tcpdump", "python3"],
  /**
   * `deno task image` (tools/image.ts): the Debian base extracted by mmdebstrap, unshare for the cache run,
   * podman to import it; the arm64 cross compiler and its static libc; qemu-user-static to run the arm64
   * Deno (module cache) and to prove the arm64 executables.
   */
  image: [
    "mmdebstrap",
    "util-linux",
    "podman",
    "gcc-aarch64-linux-gnu",
    "libc6-dev-arm64-cross",
    "qemu-user-static",
  ],
  /** Real peers the tests drive (see README "Tests"). */
  test: [
    "containernetworking-plugins",
    "golang-go",
    "golang-github-appc-cni-dev",
    "iproute2",
    "util-linux",
    "tcpdump",
    "python3-grpcio",
    // integration/: a DHCP server for the dhcp IPAM test, and podman's CNI backend run
    "dnsmasq-base",
    "podman",
    "runc",
    "busybox-static",
  ],
} as const;

/** What each purpose installs. */
export type Purpose = "build" | "demo" | "image" | "test";

/** Every purpose. */
export const PURPOSES: readonly Purpose[] = ["build", "demo", "image", "test"];

/** The packages a purpose needs, without duplicates. */
export function packagesFor(purpose: Purpose): string[] {
  const { build, demo, image, test } = DEBIAN_PACKAGES;
  const lists = {
    build: [build],
    demo: [build, demo],
    image: [build, image],
    test: [build, demo, image, test],
  };
  return [...new Set(lists[purpose].flat())];
}

async function run(cmd: string, args: string[], quiet = false): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: quiet ? "piped" : "inherit",
    stderr: quiet ? "piped" : "inherit",
  }).output();
  if (!out.success) {
    const output = quiet
      ? `\n${new TextDecoder().decode(out.stdout)}${new TextDecoder().decode(out.stderr)}`
      : "";
    throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${out.code}${output}`);
  }
}

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/** npm ci when node_modules is missing or older than package-lock.json. */
export async function ensureNpmDependencies(): Promise<void> {
  const installedStamp = `${ROOT}/node_modules/.package-lock.json`;
  if (mtime(installedStamp) >= mtime(`${ROOT}/package-lock.json`)) return;
  console.error("prepare: installing npm dependencies (npm ci)");
  await run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
}

async function isInstalled(pkg: string): Promise<boolean> {
  const out = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f=${Status}", pkg],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).includes("install ok installed");
}

/** apt-get install of the missing packages; skipped (with a note) when not root. */
export async function ensureDebianPackages(packages: string[]): Promise<void> {
  const missing: string[] = [];
  for (const pkg of packages) if (!(await isInstalled(pkg))) missing.push(pkg);
  if (missing.length === 0) return;
  if (Deno.uid() !== 0) {
    console.error(`prepare: not root, cannot install ${missing.join(" ")}; what needs them will fail`);
    return;
  }
  console.error(`prepare: installing Debian packages ${missing.join(" ")}`);
  await run("apt-get", ["update", "-qq"], true);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], true);
}

if (import.meta.main) {
  const versionProblem = denoVersionProblem(Deno.version.deno);
  if (versionProblem) {
    console.error(`prepare: ${versionProblem}`);
    Deno.exit(1);
  }
  const purpose = (Deno.args[0] ?? "test") as Purpose;
  if (!PURPOSES.includes(purpose)) {
    console.error(`usage: tools/prepare.ts ${PURPOSES.join("|")} (got "${purpose}")`);
    Deno.exit(2);
  }
  await ensureNpmDependencies();
  await ensureDebianPackages(packagesFor(purpose));
  // A process of its own: tools/build.ts imports the compiler that npm ci has just installed.
  await run(Deno.execPath(), ["run", "-A", "tools/build.ts"]);
}
