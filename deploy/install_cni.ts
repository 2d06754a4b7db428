/**
 * Installs the CNI bin folder that `deno task build` writes (dist/cni: the `macvtap` launcher,
 * `macvtap-host.js`, `macvtap.wasm` and `deno`) into a node's CNI bin dir, atomically. The DaemonSet's
 * init container runs it against the host's /opt/cni/bin.
 *
 * Layout it leaves in `<to>`:
 *
 * ```
 * macvtap                    tiny sh wrapper: exec macvtap.d/<version>/macvtap "$@"
 * macvtap.d/<version>/       the dist files, deno beside the launcher (it finds its siblings itself)
 * ```
 *
 * Why a versioned folder and a wrapper rather than copying each file over the last: the host script and
 * the wasm module share an ABI (the host imports), so replacing them one after the other would let a pod
 * set up during an upgrade run a new host on an old module. Here a version folder is staged under a
 * temporary name (files written and fsynced), renamed into place in one step, and only then does the
 * wrapper switch to it, itself written to a temporary name in the same directory and renamed over the
 * old one. A CNI invocation sees either the old plugin or the new one, never a mix or a half-written
 * file. The wrapper is a regular file, not a symlink, because Deno grants `Deno.symlink` only with
 * unscoped read and write permissions.
 *
 * The version is a content hash, so installing the same build twice changes nothing; the previous
 * version is kept (an invocation that started before the switch may still be reading it) and older ones
 * are removed.
 *
 * Usage: `deno run --allow-read=<from>,<to> --allow-write=<to> deploy/install_cni.ts --from <dir> --to <dir>`
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

/** The plugin's name: the CNI `type`, the launcher file in dist/cni and the wrapper in the bin dir. */
export const PLUGIN_NAME = "macvtap";

/** Folder (inside the CNI bin dir) that holds one sub-folder per installed version. */
export const VERSIONS_DIR = `${PLUGIN_NAME}.d`;

/** Prefix of staging entries; a crashed install leaves them behind and the next one removes them. */
const STAGING_PREFIX = `.${PLUGIN_NAME}-staging-`;

/** Bytes of `<to>/macvtap` read to recognise our wrapper. */
const WRAPPER_HEAD_BYTES = 4096;

/** Hex digits of the content hash used as version name: plenty to tell builds apart. */
const VERSION_HEX_LENGTH = 16;

/** What an install did. */
export interface InstallResult {
  /** Content hash of the installed files, also the folder name under {@link VERSIONS_DIR}. */
  version: string;
  /** The version the wrapper pointed at before, when there was one of ours. */
  previous: string | null;
  /** True when `<to>/macvtap` was a file we did not write (e.g. kubevirt/macvtap-cni's binary). */
  replacedForeignPlugin: boolean;
  /** Version folders removed as out of date. */
  removed: string[];
}

/**
 * Installs every file of `from` into `to` as described in the module doc.
 *
 * Requires `--allow-read` of both folders and `--allow-write` of `to`.
 *
 * @param from a CNI bin folder as `deno task build` writes it
 * @param to the node's CNI bin dir (must exist)
 * @returns what changed
 * @throws {Error} naming the folder or file that could not be used
 */
export async function installCni(from: string, to: string): Promise<InstallResult> {
  const files = await listDistFiles(from);
  const version = await contentVersion(from, files);
  const versionsDir = `${to}/${VERSIONS_DIR}`;
  await Deno.mkdir(versionsDir, { recursive: true, mode: 0o755 });
  await removeStaging(versionsDir);
  await removeStaging(to);
  if (!(await exists(`${versionsDir}/${version}`))) await stageVersion(from, files, versionsDir, version);
  const current = await readWrapper(to);
  await writeWrapper(to, version);
  const previous = current.version === version ? null : current.version;
  const keep = new Set([version, ...(previous ? [previous] : [])]);
  const removed = await removeVersionsExcept(versionsDir, keep);
  return { version, previous, replacedForeignPlugin: current.foreign, removed };
}

/**
 * The regular files of a dist folder, sorted; refuses a folder without the launcher or with other kinds
 * of entries (a symlink or a folder there means it is not what `deno task build` writes).
 */
export async function listDistFiles(from: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(from)) {
    if (!entry.isFile) {
      throw new Error(`Cannot install from "${from}": "${entry.name}" is not a regular file`);
    }
    names.push(entry.name);
  }
  if (!names.includes(PLUGIN_NAME)) {
    throw new Error(`Cannot install from "${from}": no launcher "${PLUGIN_NAME}" (run deno task build)`);
  }
  return names.sort();
}

/**
 * SHA-256 over every file's name, length and bytes, streamed (the deno binary is ~100 MB).
 *
 * @returns the first {@link VERSION_HEX_LENGTH} hex digits
 */
export async function contentVersion(from: string, files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const name of files) {
    using file = await Deno.open(`${from}/${name}`, { read: true });
    const { size } = await file.stat();
    hash.update(`${name}\0${size}\0`);
    const buffer = new Uint8Array(1 << 20);
    for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
      hash.update(buffer.subarray(0, n));
    }
  }
  return hash.digest("hex").slice(0, VERSION_HEX_LENGTH);
}

/** Copies the files into a staging folder, fsyncs them, then renames the folder to `<version>`. */
async function stageVersion(from: string, files: string[], versionsDir: string, version: string) {
  const staging = `${versionsDir}/${STAGING_PREFIX}${version}-${Deno.pid}`;
  await Deno.mkdir(staging, { mode: 0o755 });
  for (const name of files) {
    const target = `${staging}/${name}`;
    await Deno.copyFile(`${from}/${name}`, target);
    const { mode } = await Deno.stat(`${from}/${name}`);
    // Keep the executable bits, drop group/other write whatever the image had.
    await Deno.chmod(target, (mode ?? 0o644) & 0o755);
    await fsync(target);
  }
  await fsync(staging);
  await Deno.rename(staging, `${versionsDir}/${version}`);
  await fsync(versionsDir);
}

/** The wrapper script for one version. `readlink -f` lets it run through any path or mount of the dir. */
export function wrapperScript(version: string): string {
  return [
    "#!/bin/sh",
    `# ${PLUGIN_NAME} CNI plugin, installed by deploy/install_cni.ts (the files are in ${VERSIONS_DIR}/).`,
    `# version=${version}`,
    'self=$(readlink -f -- "$0") || {',
    `  printf '{"cniVersion":"1.1.0","code":999,"msg":"${PLUGIN_NAME} wrapper failed",` +
    `"details":"cannot resolve %s"}\\n' "$0"`,
    "  exit 1",
    "}",
    `exec "\${self%/*}/${VERSIONS_DIR}/${version}/${PLUGIN_NAME}" "$@"`,
    "",
  ].join("\n");
}

/** What `<to>/macvtap` is now: our wrapper (and its version), something else, or nothing. */
async function readWrapper(to: string): Promise<{ version: string | null; foreign: boolean }> {
  let head: Uint8Array;
  try {
    // The head is enough: our wrapper is a few lines, a foreign plugin may be a 40 MB binary.
    using file = await Deno.open(`${to}/${PLUGIN_NAME}`, { read: true });
    head = new Uint8Array(WRAPPER_HEAD_BYTES);
    head = head.subarray(0, (await file.read(head)) ?? 0);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { version: null, foreign: false };
    throw error;
  }
  const text = new TextDecoder().decode(head);
  const version = /^# version=([0-9a-f]+)$/m.exec(text)?.[1] ?? null;
  return { version, foreign: version === null };
}

/** Writes the wrapper under a temporary name in `to`, fsyncs it, and renames it over `<to>/macvtap`. */
async function writeWrapper(to: string, version: string): Promise<void> {
  const temporary = `${to}/${STAGING_PREFIX}${PLUGIN_NAME}-${Deno.pid}`;
  await Deno.writeTextFile(temporary, wrapperScript(version), { mode: 0o755 });
  await Deno.chmod(temporary, 0o755); // the umask may have narrowed `mode`
  await fsync(temporary);
  await Deno.rename(temporary, `${to}/${PLUGIN_NAME}`);
  await fsync(to);
}

/** Removes every version folder not in `keep`; returns their names. */
async function removeVersionsExcept(versionsDir: string, keep: Set<string>): Promise<string[]> {
  const removed: string[] = [];
  for await (const entry of Deno.readDir(versionsDir)) {
    if (keep.has(entry.name) || entry.name.startsWith(STAGING_PREFIX)) continue;
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
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { from: { type: "string" }, to: { type: "string" } },
  });
  if (!values.from || !values.to) {
    console.error("usage: install_cni.ts --from <dist/cni dir> --to <CNI bin dir>");
    Deno.exit(2);
  }
  const result = await installCni(values.from, values.to);
  console.log(JSON.stringify({ msg: "installed CNI plugin", plugin: PLUGIN_NAME, to: values.to, ...result }));
}
