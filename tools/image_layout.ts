/**
 * What the node image holds besides its Debian base (tools/image_rootfs.ts), as a list of copies from the
 * repository (and the build) into the image. The builder (tools/image.ts) copies them; the deploy checks
 * use the same list to prove that every path the DaemonSet's containers use is in the image.
 *
 * ```
 * /usr/local/bin/deno                 the pinned Deno, for the daemon and the installer only
 * /opt/macvtap/deno.json, package.json, LICENSE
 * /opt/macvtap/daemon/                the device plugin daemon (no tests, test helpers or benchmarks)
 * /opt/macvtap/proto/                 the kubelet API protos it loads
 * /opt/macvtap/node_modules/          grpc-js, proto-loader and what they need (package-lock's non-dev set)
 * /opt/macvtap/dist/cni/macvtap       the CNI plugin (static; the init container installs it on the node)
 * /opt/macvtap/dist/link-broker       the link broker the daemon runs (static)
 * /opt/macvtap/deploy/install_cni.ts  the CNI installer (and uninstaller)
 * /opt/macvtap/.deno/                 Deno's module cache, filled when the image is built
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type Arch, archExecutables } from "./build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where the repository's files go in the image (the daemon container's working directory). */
export const IMAGE_APP_DIR = "/opt/macvtap";

/** Deno's module cache in the image (read-only at run time). */
export const IMAGE_DENO_DIR = `${IMAGE_APP_DIR}/.deno`;

/** Where the containers find `deno`. */
export const IMAGE_DENO = "/usr/local/bin/deno";

/** The image's environment. */
export const IMAGE_ENV = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  DENO_DIR: IMAGE_DENO_DIR,
  DENO_NO_UPDATE_CHECK: "1",
  NO_COLOR: "1",
} satisfies Record<string, string>;

/** One copy into the image: a file or a folder (copied whole, less what `skip` says). */
export interface ImageEntry {
  /** Absolute path in the image. */
  target: string;
  /** Absolute path on this machine. */
  source: string;
  /** For a folder: relative paths (and names) to leave out. */
  skip?: (relative: string, name: string) => boolean;
}

/** daemon/ without what only tests and benchmarks use. */
function daemonOnly(relative: string, name: string): boolean {
  return name.endsWith("_test.ts") || /^(testing|bench)(\/|$)/.test(relative);
}

/** The npm packages the daemon needs at run time: every package-lock entry not marked dev. */
export async function productionPackages(): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}package-lock.json`));
  return Object.entries(lock.packages as Record<string, { dev?: boolean }>)
    .filter(([path, entry]) => path.startsWith("node_modules/") && !entry.dev)
    .map(([path]) => path.slice("node_modules/".length))
    .sort();
}

/**
 * Every copy into the image for `arch`, the Deno binary given.
 *
 * @param deno the Deno executable for `arch` (Deno.execPath() for the machine's own)
 */
export async function imageLayout(arch: Arch, deno: string): Promise<ImageEntry[]> {
  const app = (path: string) => `${IMAGE_APP_DIR}/${path}`;
  const repo = (path: string) => `${ROOT}${path}`;
  const executables = archExecutables(arch);
  return [
    { target: IMAGE_DENO, source: deno },
    ...["deno.json", "package.json", "LICENSE", "deploy/install_cni.ts", "proto"].map((path) => ({
      target: app(path),
      source: repo(path),
    })),
    { target: app("daemon"), source: repo("daemon"), skip: daemonOnly },
    // The folder the installer copies from (it refuses one holding anything but the plugin).
    { target: app("dist/cni"), source: executables.cni.slice(0, executables.cni.lastIndexOf("/")) },
    { target: app("dist/link-broker"), source: executables.broker },
    ...(await productionPackages()).map((name) => ({
      target: app(`node_modules/${name}`),
      source: repo(`node_modules/${name}`),
    })),
  ];
}

/** The entry whose target is `path` or holds it, if any. */
export function entryCovering(layout: ImageEntry[], path: string): ImageEntry | undefined {
  return layout.find((entry) => path === entry.target || path.startsWith(`${entry.target}/`));
}

/** Copies one entry under `rootfs` (file modes kept; folders recursively). */
export async function copyEntry(rootfs: string, entry: ImageEntry): Promise<void> {
  const target = `${rootfs}${entry.target}`;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  if ((await Deno.stat(entry.source)).isDirectory) await copyTree(entry.source, target, "", entry.skip);
  else await Deno.copyFile(entry.source, target);
}

async function copyTree(
  from: string,
  to: string,
  relative: string,
  skip?: ImageEntry["skip"],
): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const item of Deno.readDir(from)) {
    const path = relative ? `${relative}/${item.name}` : item.name;
    if (skip?.(path, item.name)) continue;
    if (item.isDirectory) await copyTree(`${from}/${item.name}`, `${to}/${item.name}`, path, skip);
    else if (item.isFile) await Deno.copyFile(`${from}/${item.name}`, `${to}/${item.name}`);
    else if (item.isSymlink) {
      await Deno.symlink(await Deno.readLink(`${from}/${item.name}`), `${to}/${item.name}`);
    }
  }
}
