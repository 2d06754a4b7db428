/**
 * TEST HELPER: runs `daemon/main.ts` as a real, sandboxed process (the same permission flags as
 * production, cut to the test's paths) and follows its JSON log.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { DAEMON_RUNTIME_FLAGS, daemonPermissionFlags, type SandboxPaths } from "../sandbox.ts";
import { readLines } from "../links/json_lines.ts";
import type { LogRecord } from "../log.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** A running daemon process. */
export class DaemonProcess implements AsyncDisposable {
  /** Every log record so far. */
  readonly records: LogRecord[] = [];
  /** Lines on stdout that were not JSON, and stderr. */
  readonly otherOutput: string[] = [];
  readonly exited: Promise<Deno.CommandStatus>;
  #waiters = new Set<() => void>();

  private constructor(private child: Deno.ChildProcess) {
    this.#follow(child.stdout, true);
    this.#follow(child.stderr, false);
    this.exited = child.status;
  }

  /**
   * Starts the daemon with sandbox flags for `paths` and the matching command line plus `extraArgs`, in
   * this process's environment plus `env`.
   */
  static spawn(
    paths: SandboxPaths & { configFile: string },
    extraArgs: string[] = [],
    env: Record<string, string> = {},
  ): DaemonProcess {
    const args = [
      "run",
      ...DAEMON_RUNTIME_FLAGS,
      ...daemonPermissionFlags(paths),
      MAIN,
      "--plugin-dir",
      paths.pluginDir,
      "--pod-resources-socket",
      paths.podResourcesSocket,
      "--config",
      paths.configFile,
      "--broker",
      paths.broker,
      ...(paths.metrics ? ["--metrics", paths.metrics] : []),
      ...extraArgs,
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    })
      .spawn();
    return new DaemonProcess(child);
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** Waits for a log record matching `predicate` (already logged ones count) and returns it. */
  waitForLog(
    what: string,
    predicate: (record: LogRecord) => boolean,
    timeoutMs = 20_000,
  ): Promise<LogRecord> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.records.find(predicate);
        if (!hit) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`daemon process: no log "${what}" within ${timeoutMs} ms; output:\n${this.transcript()}`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** The log so far, for failure messages. */
  transcript(): string {
    return [...this.records.map((r) => JSON.stringify(r)), ...this.otherOutput].slice(-60).join("\n");
  }

  /** SIGTERM, then the exit status. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    return await this.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #follow(stream: ReadableStream<Uint8Array>, json: boolean): void {
    (async () => {
      for await (const line of readLines(stream, 1 << 20)) {
        try {
          if (!json) throw new Error("stderr");
          this.records.push(JSON.parse(line));
        } catch {
          this.otherOutput.push(line);
        }
        for (const waiter of [...this.#waiters]) waiter();
      }
    })().catch(() => {});
  }
}
