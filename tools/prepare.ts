/**
 * Gets a fresh clone ready for `deno task test`: npm dependencies (only when
 * package-lock.json changed), the Debian peers the tests drive (only when root
 * and missing), and the build (`tools/build.ts`, itself incremental).
 *
 * Requires --allow-run (npm, dpkg-query, apt-get, deno), --allow-read and
 * --allow-write on the repository, --allow-env.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Debian packages the tests use as real peers (see README "Tests"). */
export const DEBIAN_PEERS = [
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
];

async function run(cmd: string, args: string[], cwd = ROOT): Promise<void> {
  const status = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" }).spawn()
    .status;
  if (!status.success) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${status.code}`);
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

/** apt-get install of the missing peers; skipped (with a note) when not root. */
export async function ensureDebianPeers(packages = DEBIAN_PEERS): Promise<void> {
  const missing: string[] = [];
  for (const pkg of packages) if (!(await isInstalled(pkg))) missing.push(pkg);
  if (missing.length === 0) return;
  if (Deno.uid() !== 0) {
    console.error(`prepare: not root, cannot install ${missing.join(" ")}; tests needing them will fail`);
    return;
  }
  console.error(`prepare: installing Debian packages ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await new Deno.Command("apt-get", { args: ["update", "-qq"], env }).spawn().status;
  if (!update.success) throw new Error("apt-get update failed");
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing]);
}

if (import.meta.main) {
  await ensureNpmDependencies();
  await ensureDebianPeers();
  await run(Deno.execPath(), ["run", "-A", "tools/build.ts"]);
}
