/**
 * TEST HELPER: writes wrapper scripts for brokers (the real link broker entered into a test netns, the
 * in-memory fake), so a test can pass one program path to `--broker` (the daemon may run exactly that one
 * program). The daemon starts them with an empty environment, so they name every program by a path `sh`
 * finds on its default PATH or by an absolute one.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { BROKER_EXECUTABLE } from "../../tools/build.ts";

const FAKE = fileURLToPath(new URL("./fake_broker.ts", import.meta.url));

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
    `exec ip netns exec ${netns} ${BROKER_EXECUTABLE}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(path, script, { mode: 0o755 });
  return path;
}

/**
 * Writes `<dir>/link-broker-fake`, which runs the in-memory fake broker (one `eth0`, no kernel access).
 *
 * @param environFile when given, the script first writes the environment it was started with there, one
 *   `NAME=value` per line (from /proc: what its parent passed, before the shell adds anything), and
 *   only then runs the broker
 * @returns the script's absolute path
 */
export async function writeFakeBrokerScript(dir: string, environFile?: string): Promise<string> {
  const path = `${dir}/link-broker-fake`;
  // Written beside and renamed, so a reader never sees a half-written file.
  const partial = `${environFile}.partial`;
  const record = environFile
    ? [`tr '\\0' '\\n' < /proc/$$/environ > '${partial}' && mv '${partial}' '${environFile}' || exit 1`]
    : [];
  const script = [
    "#!/bin/sh",
    "# TEST link broker (in-memory fake links), written by a test; not for deployment.",
    ...record,
    `exec ${Deno.execPath()} run --no-prompt ${FAKE}`,
    "",
  ].join("\n");
  await Deno.writeTextFile(path, script, { mode: 0o755 });
  return path;
}
