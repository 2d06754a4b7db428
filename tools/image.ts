/**
 * `deno task image`: builds the node image offline, for amd64 and arm64, and imports it into podman.
 *
 *   deno run -A tools/image.ts [--arch amd64|arm64|all]   (default all)
 *
 * For each architecture: the static CNI plugin and link broker (tools/build.ts, cross-compiled for the
 * other architecture), a Debian base with glibc only (tools/image_rootfs.ts), the repository's files
 * (tools/image_layout.ts), Deno's module cache filled inside the root filesystem (chroot; qemu-user-static
 * for the other architecture), then one tar with fixed owners, order and times, `podman import`ed with
 * the OCI labels. Tags `localhost/macvtap-stack:<version>-<arch>`, and a manifest list
 * `localhost/macvtap-stack:<version>` over the architectures built. Nothing is pulled from a registry.
 *
 * Requires root (mmdebstrap, chroot), `-A`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type Arch, ARCHES, archesFromArgs, buildAll, HOST_ARCH } from "./build.ts";
import { copyEntry, IMAGE_APP_DIR, IMAGE_DENO, IMAGE_ENV, imageLayout } from "./image_layout.ts";
import { baseRootfs, copyRootfs, IMAGE_CACHE_DIR } from "./image_rootfs.ts";
import { VERSION } from "../daemon/version.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The image's name; the base DaemonSet runs `<IMAGE_NAME>:<version>`. */
export const IMAGE_NAME = "localhost/macvtap-stack";

/** The image (manifest list) of this version, and the per-architecture ones. */
export function imageReference(arch?: Arch): string {
  return `${IMAGE_NAME}:${VERSION}${arch ? `-${arch}` : ""}`;
}

/** npm's name for Deno's binary package of each architecture. */
const DENO_NPM_PACKAGES: Record<Arch, string> = {
  amd64: "@deno/linux-x64-glibc",
  arm64: "@deno/linux-arm64-glibc",
};

/** qemu-user-static's emulator of each architecture, to run the other one's Deno for the cache. */
const QEMU: Record<Arch, string> = {
  amd64: "/usr/bin/qemu-x86_64-static",
  arm64: "/usr/bin/qemu-aarch64-static",
};

async function run(program: string, args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped", ...options })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-20).join("\n");
    throw new Error(`${program} ${args.join(" ")} failed with exit code ${out.code}:\n${text}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * The Deno binary for `arch`: this one for the machine's own; else the same version of npm's binary
 * package, fetched once with `npm pack` (which checks the registry's integrity hash) into the cache.
 */
export async function denoFor(arch: Arch): Promise<string> {
  if (arch === HOST_ARCH) return Deno.execPath();
  const dir = `${IMAGE_CACHE_DIR}/deno-${arch}-${Deno.version.deno}`;
  const binary = `${dir}/package/deno`;
  if (await Deno.stat(binary).then(() => true, () => false)) return binary;
  await Deno.mkdir(dir, { recursive: true });
  const spec = `${DENO_NPM_PACKAGES[arch]}@${Deno.version.deno}`;
  const tarball = (await run("npm", ["pack", "--silent", spec], { cwd: dir })).trim().split("\n").at(-1)!;
  await run("tar", ["-xzf", `${dir}/${tarball}`, "-C", dir]);
  await Deno.remove(`${dir}/${tarball}`);
  return binary;
}

/**
 * Runs the image's Deno inside `rootfs`: chroot, with a /proc of its own (Deno reads /proc/self/exe) in a
 * mount and PID namespace that ends with it, so nothing stays mounted; through qemu-user-static for
 * another architecture.
 */
async function denoInRootfs(rootfs: string, arch: Arch, args: string[]): Promise<void> {
  const env = { ...IMAGE_ENV, HOME: "/nonexistent" };
  const emulated = arch !== HOST_ARCH;
  // The emulator is copied to the root for the run and removed after (the image holds none).
  const emulator = "/.qemu-user-static";
  if (emulated) await Deno.copyFile(QEMU[arch], `${rootfs}${emulator}`);
  try {
    await run("/usr/bin/unshare", [
      "--mount",
      "--pid",
      "--fork",
      `--mount-proc=${rootfs}/proc`,
      "/usr/sbin/chroot",
      rootfs,
      ...(emulated ? [emulator] : []),
      IMAGE_DENO,
      ...args,
    ], { clearEnv: true, env });
  } finally {
    if (emulated) await Deno.remove(`${rootfs}${emulator}`);
  }
}

/** Fills the module cache the daemon, its launcher and the installer read (the image's root is read-only). */
async function fillDenoCache(rootfs: string, arch: Arch): Promise<void> {
  const app = (path: string) => `${IMAGE_APP_DIR}/${path}`;
  await denoInRootfs(rootfs, arch, [
    "cache",
    `--config=${app("deno.json")}`,
    app("daemon/launch.ts"),
    app("daemon/main.ts"),
  ]);
  await denoInRootfs(rootfs, arch, ["cache", "--no-config", app("deploy/install_cni.ts")]);
  // One run of main.ts fills V8's code cache too (about half a second off every start).
  await denoInRootfs(rootfs, arch, [
    "run",
    "--no-prompt",
    `--config=${app("deno.json")}`,
    "--allow-env=GRPC_*,DP_MACVTAP_CONF",
    app("daemon/main.ts"),
    "--help",
  ]);
}

/** The git commit and its time (seconds): the image's revision, and the time stamped on every file. */
async function revision(): Promise<{ commit: string; epoch: number }> {
  const out = await run("git", ["log", "-1", "--format=%H %ct"], { cwd: ROOT }).catch(() => "unknown 0");
  const [commit = "unknown", epoch] = out.trim().split(" ");
  return { commit, epoch: Number(epoch) };
}

/** The OCI labels of the image. */
export function imageLabels(
  arch: Arch,
  commit: string,
  epoch: number,
  packages: string[],
): Record<string, string> {
  return {
    "org.opencontainers.image.title": "macvtap-stack",
    "org.opencontainers.image.description":
      "macvtap CNI plugin (static) and kubelet device plugin (Deno, sandboxed) for Kubernetes virtualization",
    "org.opencontainers.image.version": VERSION,
    "org.opencontainers.image.revision": commit,
    "org.opencontainers.image.created": new Date(epoch * 1000).toISOString(),
    "org.opencontainers.image.licenses": "Apache-2.0",
    "org.opencontainers.image.base.name": `debian:${"bookworm"} (mmdebstrap --variant=extract)`,
    "macvtap-stack.debian-packages": packages.join(" "),
    "macvtap-stack.deno": Deno.version.deno,
    "macvtap-stack.arch": arch,
  };
}

/** Builds and imports the image of one architecture; returns its reference. */
export async function buildImage(arch: Arch): Promise<string> {
  await buildAll([arch]);
  const base = await baseRootfs(arch);
  const work = await Deno.makeTempDir({ dir: IMAGE_CACHE_DIR, prefix: `work-${arch}-` });
  try {
    const rootfs = `${work}/rootfs`;
    await copyRootfs(base, rootfs);
    await Deno.mkdir(`${rootfs}/proc`, { recursive: true });
    for (const entry of await imageLayout(arch, await denoFor(arch))) await copyEntry(rootfs, entry);
    await fillDenoCache(rootfs, arch);
    const { commit, epoch } = await revision();
    const tar = `${work}/rootfs.tar`;
    await run("tar", [
      "--sort=name",
      `--mtime=@${epoch}`,
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--xattrs-exclude=*",
      "-cf",
      tar,
      "-C",
      rootfs,
      ".",
    ]);
    const changes = [
      ...Object.entries(IMAGE_ENV).map(([name, value]) => `ENV ${name}=${value}`),
      `WORKDIR ${IMAGE_APP_DIR}`,
      ...Object.entries(imageLabels(arch, commit, epoch, base.packages)).map(([k, v]) =>
        `LABEL ${k}=${JSON.stringify(v)}`
      ),
      `CMD ["deno","run","--no-prompt","--allow-run=deno","daemon/launch.ts","--help"]`,
    ];
    const reference = imageReference(arch);
    const previous = await imageId(reference);
    const id = (await run("podman", [
      "import",
      "--quiet",
      "--arch",
      arch,
      ...changes.flatMap((c) => ["--change", c]),
      tar,
      reference,
    ])).trim();
    // The build it replaces would stay behind untagged, 130 MB per rebuild; one still in use is kept.
    if (previous && !id.endsWith(previous)) await run("podman", ["rmi", previous]).catch(() => "");
    return reference;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** The id of the image `reference` names, or null. */
async function imageId(reference: string): Promise<string | null> {
  const id = await run("podman", ["image", "inspect", "--format", "{{.Id}}", reference]).catch(() => "");
  return id.trim() || null;
}

/** Makes `<name>:<version>` a manifest list over the per-architecture images. */
async function tagManifest(references: string[]): Promise<void> {
  const list = imageReference();
  // An image or list of that name from an earlier build is replaced.
  await run("podman", ["manifest", "rm", list]).catch(() => run("podman", ["rmi", list]).catch(() => ""));
  await run("podman", ["manifest", "create", list]);
  for (const reference of references) {
    await run("podman", ["manifest", "add", list, `containers-storage:${reference}`]);
  }
}

if (import.meta.main) {
  const arches = archesFromArgs(Deno.args);
  const started = performance.now();
  const references: string[] = [];
  for (const arch of arches.length ? arches : ARCHES) {
    const reference = await buildImage(arch);
    const size = (await run("podman", ["image", "inspect", "--format", "{{.Size}}", reference])).trim();
    console.error(`image: ${reference} (${(Number(size) / 1e6).toFixed(1)} MB)`);
    references.push(reference);
  }
  await tagManifest(references);
  console.error(
    `image: ${imageReference()} = ${references.join(" + ")} in ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s`,
  );
}
