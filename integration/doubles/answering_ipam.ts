/**
 * A /bin/sh IPAM test double that answers each CNI_COMMAND from a plan: for a planned command it prints
 * the planned stdout and exits with the planned status; any other command exits 0 without output. Every
 * call's CNI_COMMAND is logged to `<binDir>/<name>.calls`. Used where a test needs an IPAM plugin's
 * VERSION report and its answers to STATUS and GC to differ (Debian's plugins predate both verbs).
 *
 * Requires `--allow-write` and `--allow-read` on the bin dir.
 *
 * @module
 */

/** What the double prints and exits with for one command. */
export interface PlannedAnswer {
  stdout: string;
  exitStatus: number;
}

/** A VERSION report listing `versions`, in the shape libcni's skel prints. */
export function versionReport(versions: string[]): PlannedAnswer {
  return {
    stdout: JSON.stringify({ cniVersion: versions.at(-1), supportedVersions: versions }),
    exitStatus: 0,
  };
}

/** A CNI error object on stdout, exit 1. */
export function errorAnswer(code: number, msg: string, details?: string): PlannedAnswer {
  return { stdout: JSON.stringify({ code, msg, ...(details ? { details } : {}) }), exitStatus: 1 };
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Installs `<binDir>/<name>` answering per `plan` (CNI_COMMAND → answer).
 *
 * Requires `--allow-write=<binDir>`.
 */
export async function installAnsweringIpam(
  binDir: string,
  name: string,
  plan: Record<string, PlannedAnswer>,
): Promise<void> {
  const cases: string[] = [];
  for (const [command, answer] of Object.entries(plan)) {
    const file = `${binDir}/${name}.${command}.answer`;
    await Deno.writeTextFile(file, answer.stdout);
    cases.push(`  ${command}) cat ${shellQuote(file)}; exit ${answer.exitStatus} ;;`);
  }
  const script = [
    "#!/bin/sh",
    "# IPAM TEST DOUBLE (integration/doubles/answering_ipam.ts): answers each command from a plan.",
    `echo "$CNI_COMMAND" >> ${shellQuote(`${binDir}/${name}.calls`)}`,
    "cat > /dev/null",
    'case "$CNI_COMMAND" in',
    ...cases,
    "esac",
    "exit 0",
    "",
  ].join("\n");
  await Deno.writeTextFile(`${binDir}/${name}`, script, { mode: 0o755 });
  await Deno.chmod(`${binDir}/${name}`, 0o755);
}

/** CNI_COMMANDs the double received, oldest first. */
export async function answeringIpamCalls(binDir: string, name: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`${binDir}/${name}.calls`)).split("\n").filter((line) => line !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
