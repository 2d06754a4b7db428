/**
 * The base of the node image: a Debian bookworm root filesystem holding only what Deno needs to start
 * (glibc and libgcc), extracted from Debian's packages by `mmdebstrap --variant=extract` — no package
 * manager, shell or coreutils in it, and no container registry involved. Debian's apt is the only thing
 * reached, as for every other package the project uses.
 *
 * The result is kept under `.cache/image/` by a hash of its inputs (architecture, suite, package list,
 * the machine's apt sources and this file), so a rebuild of the image costs seconds, not a download.
 *
 * Requires root (mmdebstrap's root mode), `--allow-run` (mmdebstrap, cp), `--allow-read`/`--allow-write` on
 * the repository.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Arch } from "./build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where bases (and the other architecture's Deno) are cached; gitignored. */
export const IMAGE_CACHE_DIR = `${ROOT}.cache/image`;

/** The Debian release the image is built from (the machine's own). */
export const DEBIAN_SUITE = "bookworm";

/** What the image's Deno links against: `ldd deno` lists libc, libm, libdl, librt, libpthread and libgcc_s. */
export const BASE_PACKAGES = ["libc6", "libgcc-s1"];

/** Files of those packages nothing in the image reads: documentation, locales, iconv modules. */
const PRUNED = ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale"];

/** A base root filesystem on disk. */
export interface BaseRootfs {
  /** The folder holding it (read it, copy it; never change it). */
  dir: string;
  /** `name=version` of every Debian package in it, for the image's labels. */
  packages: string[];
}

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-20).join("\n");
    throw new Error(`${program} ${args.join(" ")} failed with exit code ${out.code}:\n${text}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The inputs that decide a base's content. */
async function inputHash(arch: Arch): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ arch, suite: DEBIAN_SUITE, packages: BASE_PACKAGES, pruned: PRUNED }));
  hash.update(await Deno.readTextFile(fileURLToPath(import.meta.url)));
  for (const sources of ["/etc/apt/sources.list", "/etc/apt/sources.list.d/debian.sources"]) {
    hash.update(await Deno.readTextFile(sources).catch(() => ""));
  }
  return hash.digest("hex").slice(0, 16);
}

/** `gcc-12-base_12.2.0-14+deb12u1_arm64.deb` → `gcc-12-base=12.2.0-14+deb12u1`. */
export function packageOfDebName(file: string): string | null {
  const match = /^([^_]+)_([^_]+)_[^_]+\.deb$/.exec(file);
  return match ? `${match[1]}=${decodeURIComponent(match[2]!)}` : null;
}

/** Runs mmdebstrap into `dir` and prunes it; the package list goes to `<dir>.packages`. */
async function extract(arch: Arch, dir: string): Promise<void> {
  await run("mmdebstrap", [
    "--variant=extract",
    `--architectures=${arch}`,
    `--include=${BASE_PACKAGES.join(",")}`,
    "--quiet",
    // The downloaded .deb names carry the exact versions; apt's cache is emptied afterwards.
    `--extract-hook=ls "$1"/var/cache/apt/archives/ > "${dir}.debs"`,
    DEBIAN_SUITE,
    dir,
  ]);
  for (const path of [...PRUNED, "etc/apt", "var/cache/apt", "var/lib/apt", "var/log/apt"]) {
    await Deno.remove(`${dir}/${path}`, { recursive: true }).catch(() => {});
  }
  for await (const entry of Deno.readDir(`${dir}/usr/lib`)) {
    await Deno.remove(`${dir}/usr/lib/${entry.name}/gconv`, { recursive: true }).catch(() => {});
  }
  const debs = (await Deno.readTextFile(`${dir}.debs`)).split("\n");
  await Deno.writeTextFile(`${dir}.packages`, debs.map(packageOfDebName).filter(Boolean).sort().join("\n"));
  await Deno.remove(`${dir}.debs`);
}

/**
 * The base root filesystem for `arch`, built once per input hash.
 *
 * @throws Error with mmdebstrap's words when it fails (not root, no apt access)
 */
export async function baseRootfs(arch: Arch): Promise<BaseRootfs> {
  const dir = `${IMAGE_CACHE_DIR}/base-${arch}-${await inputHash(arch)}`;
  const packagesFile = `${dir}.packages`;
  const cached = await Deno.stat(dir).then(() => Deno.readTextFile(packagesFile), () => null)
    .catch(() => null);
  if (cached === null) {
    await Deno.mkdir(IMAGE_CACHE_DIR, { recursive: true });
    // Built beside and renamed: an interrupted build never looks finished.
    const partial = `${dir}.partial-${Deno.pid}`;
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    try {
      await extract(arch, partial);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.rename(partial, dir);
      await Deno.rename(`${partial}.packages`, packagesFile);
    } finally {
      await Deno.remove(partial, { recursive: true }).catch(() => {});
      await Deno.remove(`${partial}.packages`).catch(() => {});
    }
  }
  const packages = (await Deno.readTextFile(packagesFile)).split("\n").filter(Boolean);
  return { dir, packages };
}

/** Copies a base into `to` (which must not exist), keeping owners, modes and device nodes. */
export async function copyRootfs(base: BaseRootfs, to: string): Promise<void> {
  await run("cp", ["-a", base.dir, to]);
}
