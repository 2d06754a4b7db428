/**
 * Installs the CNI plugin that `deno task build` writes (dist/cni holds one file, `macvtap`: a static
 * executable of about 0.9 MB, the capability host and the plugin module compiled together) into a node's
 * CNI bin dir, atomically. The DaemonSet's init container runs it against the host's /opt/cni/bin. What
 * it leaves on the node is that one file, about 0.9 MB on disk (x86-64: 903,944 bytes when this was
 * written; the Deno-based plugin it replaces installed ~100 MB), and nothing it needs beside it: no
 * runtime, no shell, no shared libc.
 *
 * Layout it leaves in `<to>`:
 *
 * ```
 * macvtap                 the plugin: a hard link to macvtap.d/<version> (one file on disk, two names)
 * macvtap.d/<version>     the installed build, named by its content hash
 * ```
 *
 * The swap: the file is copied into macvtap.d/ under a temporary name, fsynced and renamed to its version;
 * then a second link to it, made under a temporary name in `<to>`, is renamed over `<to>/macvtap`. A CNI
 * invocation execs either the old plugin or the new one, never a half-written file (writing over the
 * file in place would also fail every invocation running at that moment with ETXTBSY). An invocation
 * already running keeps its own copy open, so the old version is removed right away.
 *
 * The versions folder is the record of what is installed: `<to>/macvtap` is ours, and of that version,
 * when it is the same file (inode) as a `macvtap.d/<version>`. So installing the same build twice changes
 * nothing, and a foreign plugin of the same name (e.g. kubevirt/macvtap-cni's binary) is reported when it
 * is replaced. A hard link rather than a symlink because Deno grants `Deno.symlink` only with unscoped read
 * and write permissions; `Deno.link` works within the installer's two folders.
 *
 * Usage: `deno run --allow-read=<from>,<to> --allow-write=<to> deploy/install_cni.ts --from <dir> --to <dir>`
 *
 * `--uninstall` takes away what an install put there: `<to>/macvtap` when it is ours (a foreign plugin of
 * that name stays, and is reported), the versions folder and any staging leftovers. Nothing else in `<to>`
 * is touched. deploy/uninstall/ runs it on every node, as an init container; its main container runs
 * `--wait` (no other flag, no permission: it idles until SIGTERM), so a Running pod means "done here".
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

/** The plugin's name: the CNI `type`, the one file of dist/cni and the file in the bin dir. */
export const PLUGIN_NAME = "macvtap";

/** Folder (inside the CNI bin dir) that holds the installed version, named by its content hash. */
export const VERSIONS_DIR = `${PLUGIN_NAME}.d`;

/** Prefix of staging entries; a crashed install leaves them behind and the next one removes them. */
const STAGING_PREFIX = `.${PLUGIN_NAME}-staging-`;

/** Hex digits of the content hash used as version name: plenty to tell builds apart. */
const VERSION_HEX_LENGTH = 16;

/**
 * Bytes of `<to>/macvtap` read to recognise the shell wrapper earlier installs of this project wrote (they
 * installed a folder of files and a wrapper naming its version).
 */
const OLD_WRAPPER_HEAD_BYTES = 4096;

/** What an install did. */
export interface InstallResult {
  /** Content hash of the installed plugin, also its file name under {@link VERSIONS_DIR}. */
  version: string;
  /** The version `<to>/macvtap` was before, when it was one of ours and another version. */
  previous: string | null;
  /** True when `<to>/macvtap` was a file we did not write (e.g. kubevirt/macvtap-cni's binary). */
  replacedForeignPlugin: boolean;
  /** Entries removed from {@link VERSIONS_DIR} as out of date. */
  removed: string[];
}

/**
 * Installs `<from>/macvtap` into `to` as described in the module doc.
 *
 * Requires `--allow-read` of both folders and `--allow-write` of `to`.
 *
 * @param from the CNI bin folder `deno task build` writes (dist/cni)
 * @param to the node's CNI bin dir (must exist)
 * @returns what changed
 * @throws {Error} naming the folder or file that could not be used
 */
export async function installCni(from: string, to: string): Promise<InstallResult> {
  const plugin = await checkDist(from);
  const version = await contentVersion(plugin);
  const versionsDir = `${to}/${VERSIONS_DIR}`;
  await Deno.mkdir(versionsDir, { recursive: true, mode: 0o755 });
  await removeStaging(versionsDir);
  await removeStaging(to);
  if (!(await exists(`${versionsDir}/${version}`))) await stageVersion(plugin, versionsDir, version);
  const current = await installedVersion(to, versionsDir);
  if (current.version !== version) await linkIntoPlace(`${versionsDir}/${version}`, to);
  const removed = await removeVersionsExcept(versionsDir, version);
  const previous = current.version === version ? null : current.version;
  return { version, previous, replacedForeignPlugin: current.foreign, removed };
}

/**
 * The plugin file of a dist folder: refuses a folder without it, with anything else in it (files an
 * older build left, which the plugin no longer uses: rebuild), or with a plugin that is not an
 * executable regular file.
 *
 * @returns the plugin's path
 */
export async function checkDist(from: string): Promise<string> {
  const others: string[] = [];
  for await (const entry of Deno.readDir(from)) if (entry.name !== PLUGIN_NAME) others.push(entry.name);
  if (others.length) {
    throw new Error(
      `Cannot install from "${from}": it holds ${others.sort().map((n) => `"${n}"`).join(", ")} besides ` +
        `"${PLUGIN_NAME}" (left by an older build? run deno task build)`,
    );
  }
  const plugin = `${from}/${PLUGIN_NAME}`;
  const info = await Deno.lstat(plugin).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot install from "${from}": no "${PLUGIN_NAME}" (run deno task build)`);
    }
    throw error;
  });
  if (!info.isFile) throw new Error(`Cannot install "${plugin}": not a regular file`);
  if (((info.mode ?? 0) & 0o111) === 0) throw new Error(`Cannot install "${plugin}": not executable`);
  return plugin;
}

/**
 * SHA-256 over the plugin's bytes, streamed.
 *
 * @returns the first {@link VERSION_HEX_LENGTH} hex digits
 */
export async function contentVersion(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex").slice(0, VERSION_HEX_LENGTH);
}

/** Copies the plugin into a staging file, fsyncs it, then renames it to `<versionsDir>/<version>`. */
async function stageVersion(plugin: string, versionsDir: string, version: string): Promise<void> {
  const staging = `${versionsDir}/${STAGING_PREFIX}${version}-${Deno.pid}`;
  await Deno.copyFile(plugin, staging);
  // rwxr-xr-x whatever the image had: root writes it, everyone (the runtime, Multus) may run it.
  await Deno.chmod(staging, 0o755);
  await fsync(staging);
  await Deno.rename(staging, `${versionsDir}/${version}`);
  await fsync(versionsDir);
}

/** Makes `<to>/macvtap` the same file as `installed`: a new link under a temporary name, renamed over it. */
async function linkIntoPlace(installed: string, to: string): Promise<void> {
  const temporary = `${to}/${STAGING_PREFIX}${PLUGIN_NAME}-${Deno.pid}`;
  await Deno.link(installed, temporary);
  await Deno.rename(temporary, `${to}/${PLUGIN_NAME}`);
  await fsync(to);
}

/**
 * What `<to>/macvtap` is now: one of our versions (the same inode as a file in the versions folder, or
 * the wrapper of an earlier install naming its version), something else, or nothing.
 */
async function installedVersion(
  to: string,
  versionsDir: string,
): Promise<{ version: string | null; foreign: boolean }> {
  const path = `${to}/${PLUGIN_NAME}`;
  const info = await Deno.lstat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
  if (!info) return { version: null, foreign: false };
  for await (const entry of Deno.readDir(versionsDir)) {
    if (!entry.isFile || entry.name.startsWith(STAGING_PREFIX)) continue;
    const installed = await Deno.lstat(`${versionsDir}/${entry.name}`);
    if (installed.ino === info.ino && installed.dev === info.dev) {
      return { version: entry.name, foreign: false };
    }
  }
  const version = info.isFile ? await oldWrapperVersion(path) : null;
  return { version, foreign: version === null };
}

/** The version an earlier install's shell wrapper names (`# version=<hex>`), if `path` is one. */
async function oldWrapperVersion(path: string): Promise<string | null> {
  // The head is enough: the wrapper is a few lines, a foreign plugin may be a 40 MB binary.
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(OLD_WRAPPER_HEAD_BYTES);
  const text = new TextDecoder().decode(head.subarray(0, (await file.read(head)) ?? 0));
  if (!text.startsWith("#!/bin/sh\n") || !text.includes(`${VERSIONS_DIR}/`)) return null;
  return /^# version=([0-9a-f]+)$/m.exec(text)?.[1] ?? null;
}

/** What an uninstall did. */
export interface UninstallResult {
  /** Paths removed, relative to the CNI bin dir. */
  removed: string[];
  /** True when `<to>/macvtap` is not ours and was left alone. */
  keptForeignPlugin: boolean;
}

/**
 * Removes what {@link installCni} put into `to` (see the module doc); a second run finds nothing to do.
 *
 * Requires `--allow-read` and `--allow-write` of `to`.
 */
export async function uninstallCni(to: string): Promise<UninstallResult> {
  const versionsDir = `${to}/${VERSIONS_DIR}`;
  const removed: string[] = [];
  const haveVersions = await exists(versionsDir);
  const current = haveVersions
    ? await installedVersion(to, versionsDir)
    : { version: null, foreign: await exists(`${to}/${PLUGIN_NAME}`) };
  if (current.version !== null) {
    await Deno.remove(`${to}/${PLUGIN_NAME}`);
    removed.push(PLUGIN_NAME);
  }
  for await (const entry of Deno.readDir(to)) {
    if (!entry.name.startsWith(STAGING_PREFIX)) continue;
    await Deno.remove(`${to}/${entry.name}`, { recursive: true });
    removed.push(entry.name);
  }
  if (haveVersions) {
    await Deno.remove(versionsDir, { recursive: true });
    removed.push(VERSIONS_DIR);
  }
  if (removed.length) await fsync(to);
  return { removed, keptForeignPlugin: current.foreign };
}

/** Removes every entry of the versions folder but `keep` (staging ones are removeStaging's); returns them. */
async function removeVersionsExcept(versionsDir: string, keep: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const entry of Deno.readDir(versionsDir)) {
    if (entry.name === keep || entry.name.startsWith(STAGING_PREFIX)) continue;
    await Deno.remove(`${versionsDir}/${entry.name}`, { recursive: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

/** Removes what a crashed install left under a staging name (only entries with our prefix). */
async function removeStaging(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith(STAGING_PREFIX)) continue;
    await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
  }
}

/** fsync(2) of a file or directory, so a rename never publishes data still in the page cache only. */
async function fsync(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true });
  await file.sync();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      uninstall: { type: "boolean" },
      wait: { type: "boolean" },
    },
  });
  if (values.wait) {
    await new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
  } else if (!values.to || (!values.from && !values.uninstall)) {
    console.error("usage: install_cni.ts --from <dist/cni dir> --to <CNI bin dir> [--uninstall] | --wait");
    Deno.exit(2);
  } else if (values.uninstall) {
    const result = await uninstallCni(values.to);
    console.log(
      JSON.stringify({ msg: "uninstalled CNI plugin", plugin: PLUGIN_NAME, to: values.to, ...result }),
    );
  } else {
    const result = await installCni(values.from!, values.to);
    console.log(
      JSON.stringify({ msg: "installed CNI plugin", plugin: PLUGIN_NAME, to: values.to, ...result }),
    );
  }
}
