/**
 * TEST HELPER: writes launcher scripts for brokers (the real link broker entered into a test netns, the
 * in-memory fake), so a test can pass one program path to `--broker` (the daemon may run exactly that one
 * program).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const FAKE = fileURLToPath(new URL("./fake_broker.ts", import.meta.url));
/** The real link broker `deno task build` writes. */
export const LINK_BROKER = fileURLToPath(new URL("../../dist/link-broker", import.meta.url));

/**
 * Writes `<dir>/link-broker-netns`, which runs the real link broker (dist/link-broker, built) inside netns
 * `netns`, the "node" of a test.
 *
 * @returns the script's absolute path
 */
export async function writeLinkBrokerScript(dir: string, netns: string): Promise<string> {
  const path = `${dir}/link-broker-netns`;
  const script = [
    "#!/bin/sh",
    "# The real link broker, entered into a test's node netns; written by a test.",
    `exec ip netns exec ${netns} ${LINK_BROKER}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(path, script, { mode: 0o755 });
  return path;
}

/**
 * Writes `<dir>/link-broker-fake`, which runs the in-memory fake broker (one `eth0`, no kernel access).
 *
 * @returns the script's absolute path
 */
export async function writeFakeBrokerScript(dir: string): Promise<string> {
  const path = `${dir}/link-broker-fake`;
  const script = [
    "#!/bin/sh",
    "# TEST link broker (in-memory fake links), written by a test; not for deployment.",
    `exec ${Deno.execPath()} run --no-prompt ${FAKE}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(path, script, { mode: 0o755 });
  return path;
}
