/**
 * The one bounded poll of the tests: for what the kernel or another process finishes asynchronously (a
 * netns torn down in a workqueue, a daemon registering, a file appearing). The bound is not a speed
 * assertion; it only turns a hang into a failure that says what never happened.
 *
 * @module
 */

/** How {@link waitFor} polls. */
export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Pause between two polls (default 50 ms). */
  everyMs?: number;
  /** The state worth showing when it gives up (a log tail, the links left). */
  describe?: () => string | Promise<string>;
}

/** What a probe answers while the condition does not hold yet. */
export type NotYet = false | null | undefined;

/**
 * Polls `probe` until it answers something other than false, null or undefined, and returns that answer;
 * after `timeoutMs` throws `gave up after <timeoutMs> ms waiting for <what>`, with `describe()` when given.
 *
 * @param what the awaited condition, for the failure message ("the link brokers to exit")
 * @param probe true or a value once the condition holds
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, everyMs = 50, describe }: WaitOptions = {},
): Promise<Exclude<T, NotYet>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== false && answer !== null && answer !== undefined) return answer as Exclude<T, NotYet>;
    if (performance.now() > deadline) {
      const state = describe ? `; last state: ${await describe()}` : "";
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
