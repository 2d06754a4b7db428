/**
 * TEST HELPER: the built link broker (dist/link-broker, the native executable) as a child process entered
 * into a test's node netns, with a line reader that can wait for a predicate, and the one rebuild of
 * dist/link-broker a test process needs.
 *
 * Requires root, `--allow-run` (nsenter, the broker, wasm2c and cc for the rebuild), read/write on the
 * repository.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readLines } from "../../../daemon/links/json_lines.ts";
import { isRoot, type TestNetns } from "../../../testing/netns.ts";
import { BROKER_EXECUTABLE, BROKER_MODULE, brokerExecutable, buildModule } from "../../../tools/build.ts";
import { compileNative } from "../../../tools/native.ts";

/** One protocol line. */
export type Line = Record<string, unknown>;

/** A running broker in `node`, with a line reader that can wait for a predicate. */
export class Broker implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncGenerator<string>;
  seen: Line[] = [];

  /** @param node the netns to run in (a TestNetns, or `{path: "/proc/self/ns/net"}` for the one the test runs in) */
  constructor(node: Pick<TestNetns, "path">) {
    this.#child = new Deno.Command("nsenter", {
      args: [`--net=${node.path}`, "--", BROKER_EXECUTABLE],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = readLines(this.#child.stdout, 1 << 20);
  }

  async send(request: Line): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
  }

  async sendRaw(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** The next line matching `match` (earlier non-matching lines are kept in `seen`). */
  async next(match: (line: Line) => boolean): Promise<Line> {
    const found = this.seen.findIndex(match);
    if (found >= 0) return this.seen.splice(found, 1)[0]!;
    while (true) {
      const { value, done } = await this.#lines.next();
      if (done) throw new Error("broker closed stdout");
      const line = JSON.parse(value) as Line;
      if (match(line)) return line;
      this.seen.push(line);
    }
  }

  answer(id: number): Promise<Line> {
    return this.next((line) => line.id === id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#lines.return(undefined).catch(() => {});
    const status = await this.#child.status;
    assert.equal(status.code, 0, "the broker exits 0 when stdin closes");
  }
}

let built: Promise<void> | null = null;

/**
 * Rebuilds dist/link-broker from the current sources when they changed (the build is incremental and safe
 * beside other processes building), once per test process; only as root, since the tests need root.
 */
export function buildBroker(): Promise<void> {
  built ??= isRoot
    ? buildModule(BROKER_MODULE).then(async (wasm) => void await compileNative(brokerExecutable(wasm)))
    : Promise.resolve();
  return built;
}
