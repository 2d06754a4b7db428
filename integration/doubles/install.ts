/**
 * Installs IPAM test doubles into a test node's bin dir (the first CNI_PATH entry), and reads back what
 * reached them. Every double records each CNI_COMMAND it was run with, so a test can prove that an IPAM
 * DEL followed a failed ADD.
 *
 * - `kube-ovn`: kube_ovn_ipam_double.ts behind a /bin/sh wrapper (the plugin hands IPAM the runtime's
 *   environment, which has no Deno settings: the wrapper adds them, and the double leaves them out of what
 *   it records).
 * - {@link installSleepingIpam}: never answers ADD (for the IPAM timeout).
 * - {@link installPrintingIpam}: prints fixed bytes on ADD and exits 0 (garbage, or a result without IPs).
 *
 * Requires `--allow-write` and `--allow-read` on the bin dir.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  CALLS_FILE,
  type KubeOvnCall,
  type KubeOvnPlan,
  PLAN_FILE,
  type WRAPPER_VARIABLES,
} from "./kube_ovn_ipam_double.ts";

const KUBE_OVN_DOUBLE = fileURLToPath(new URL("./kube_ovn_ipam_double.ts", import.meta.url));

/** Single-quoted for /bin/sh (paths here come from mkdtemp and the repository, but stay safe anyway). */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

async function writeExecutable(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
}

/**
 * Installs the kube-ovn IPAM double as `<binDir>/kube-ovn` with `plan` as its answer to ADD.
 *
 * Requires `--allow-write=<binDir>`.
 */
export async function installKubeOvnDouble(binDir: string, plan: KubeOvnPlan): Promise<void> {
  await setKubeOvnPlan(binDir, plan);
  const dir = shellQuote(binDir);
  // Deno's cache in the bin dir (gone with the node), no update check, no colours in recorded output.
  const settings: Record<typeof WRAPPER_VARIABLES[number], string> = {
    DENO_DIR: `${binDir}/.deno`,
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
  const assignments = Object.entries(settings).map(([name, value]) => `${name}=${shellQuote(value)}`);
  await writeExecutable(
    `${binDir}/kube-ovn`,
    [
      "#!/bin/sh",
      "# TEST DOUBLE of kube-ovn's CNI binary in IPAM mode (integration/doubles/kube_ovn_ipam_double.ts).",
      `exec env ${assignments.join(" ")} \\`,
      `  ${shellQuote(Deno.execPath())} run --quiet --no-config --no-lock --no-prompt \\`,
      `  --allow-read=${dir} --allow-write=${dir} --allow-env ${shellQuote(KUBE_OVN_DOUBLE)} ${dir}`,
      "",
    ].join("\n"),
  );
}

/** Changes what the installed kube-ovn double answers next. */
export async function setKubeOvnPlan(binDir: string, plan: KubeOvnPlan): Promise<void> {
  await Deno.writeTextFile(`${binDir}/${PLAN_FILE}`, JSON.stringify(plan));
}

/** Every call the kube-ovn double received, oldest first. */
export async function kubeOvnCalls(binDir: string): Promise<KubeOvnCall[]> {
  const text = await readOrEmpty(`${binDir}/${CALLS_FILE}`);
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as KubeOvnCall);
}

/**
 * A /bin/sh IPAM double that logs CNI_COMMAND, keeps the last stdin of each command in
 * `<name>.<COMMAND>.stdin`, exits 0 for everything but ADD, and runs `onAdd` for ADD.
 */
async function installScriptIpam(binDir: string, name: string, why: string, onAdd: string): Promise<void> {
  await writeExecutable(
    `${binDir}/${name}`,
    [
      "#!/bin/sh",
      `# IPAM TEST DOUBLE (integration/doubles/install.ts): ${why}`,
      `echo "$CNI_COMMAND" >> ${shellQuote(`${binDir}/${name}.calls`)}`,
      `cat > ${shellQuote(`${binDir}/${name}.`)}"$CNI_COMMAND".stdin`,
      `[ "$CNI_COMMAND" = ADD ] || exit 0`,
      onAdd,
      "",
    ].join("\n"),
  );
}

/**
 * `<binDir>/<name>`: an IPAM plugin whose ADD never answers (it sleeps far past any timeout a test sets);
 * its pid goes to `<binDir>/<name>.pid`.
 *
 * Requires `--allow-write=<binDir>`.
 */
export function installSleepingIpam(binDir: string, name: string): Promise<void> {
  // The pid survives the exec, so the test can prove the sleeper was killed, not orphaned.
  const pidFile = shellQuote(`${binDir}/${name}.pid`);
  return installScriptIpam(binDir, name, "ADD hangs (IPAM timeout)", `echo $$ > ${pidFile}\nexec sleep 600`);
}

/**
 * `<binDir>/<name>`: an IPAM plugin whose ADD prints `stdout` exactly and exits 0.
 *
 * Requires `--allow-write=<binDir>`.
 */
export async function installPrintingIpam(binDir: string, name: string, stdout: string): Promise<void> {
  const file = `${binDir}/${name}.stdout`;
  await Deno.writeTextFile(file, stdout);
  await installScriptIpam(binDir, name, "ADD prints a fixed answer", `cat ${shellQuote(file)}`);
}

/** The stdin a script double got with its last `command`. */
export function scriptIpamStdin(binDir: string, name: string, command: string): Promise<string> {
  return Deno.readTextFile(`${binDir}/${name}.${command}.stdin`);
}

/** CNI_COMMANDs a script double received, oldest first. */
export async function scriptIpamCalls(binDir: string, name: string): Promise<string[]> {
  return (await readOrEmpty(`${binDir}/${name}.calls`)).split("\n").filter((line) => line !== "");
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}
