/**
 * What the kernel says about processes a fault test started: children, liveness, resident memory. Read
 * from /proc, so a test can prove that no broker outlived its daemon and a bench can report RSS.
 *
 * Requires `--allow-read=/proc`.
 *
 * @module
 */

/** One line of /proc/<pid>/status, e.g. `statusField(pid, "VmRSS")` → "85432 kB"; null when gone. */
function statusField(pid: number, field: string): string | null {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const line = status.split("\n").find((l) => l.startsWith(`${field}:`));
  return line === undefined ? null : line.slice(field.length + 1).trim();
}

/**
 * Whether `pid` is a process that still runs. A zombie (exited, not yet reaped by whoever adopted it)
 * counts as gone: it holds no file, socket or netns any more.
 */
export function isRunning(pid: number): boolean {
  const state = statusField(pid, "State");
  return state !== null && !state.startsWith("Z") && !state.startsWith("X");
}

/** Resident set size of `pid` in MiB (VmRSS), or null when the process is gone. */
export function rssMiB(pid: number): number | null {
  const rss = statusField(pid, "VmRSS");
  if (rss === null) return null;
  const kib = /^(\d+) kB$/.exec(rss);
  if (!kib) throw new Error(`cannot read VmRSS of pid ${pid}: "${rss}"`);
  return Number(kib[1]) / 1024;
}

/**
 * Pids whose parent is `pid` (from the ppid field of every /proc/<n>/stat). Scanning works on any kernel,
 * unlike /proc/<pid>/task/<tid>/children, which needs CONFIG_PROC_CHILDREN.
 */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) children.push(Number(entry.name));
  }
  return children;
}

/** The command line of `pid` with NULs as spaces, or "" when gone. */
export function commandLine(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}
