/**
 * Numbered, timed steps for the demo's output, written for a person reading along.
 *
 * @module
 */
import { ip, TEST_NETNS_PREFIX } from "../testing/netns.ts";

export class Steps {
  #count = 0;

  /** Runs one step, printing "[n] title", its notes indented, and how long it took. */
  async run<T>(title: string, body: (steps: Steps) => Promise<T>): Promise<T> {
    this.#count++;
    console.log(`\n[${this.#count}] ${title}`);
    const started = performance.now();
    const result = await body(this);
    console.log(`    (${(performance.now() - started).toFixed(0)} ms)`);
    return result;
  }

  /** One line of what happened, under the current step. */
  note(text: string): void {
    for (const line of text.trimEnd().split("\n")) console.log(`    ${line}`);
  }

  /**
   * After cleanup: says whether any demo netns or any of the demo's `/dev/tapN` is left (there should be
   * none). Only the demo's own taps count: other macvtaps on the machine (another test run, a VM) are not
   * the demo's to judge.
   */
  static async reportLeftovers(ownTaps: Iterable<string>): Promise<void> {
    const namespaces = (await ip("netns", "list")).split("\n").filter((l) =>
      l.startsWith(`${TEST_NETNS_PREFIX}demo-`)
    );
    const taps: string[] = [];
    for (const tap of ownTaps) if (await Deno.lstat(tap).then(() => true, () => false)) taps.push(tap);
    if (namespaces.length === 0 && taps.length === 0) {
      console.log("nothing left behind: no demo netns, no /dev/tapN");
    } else {
      console.log(`left behind: ${[...namespaces, ...taps].join(", ")}`);
    }
  }
}
