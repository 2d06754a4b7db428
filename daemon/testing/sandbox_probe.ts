/**
 * TEST PROBE: run under the daemon's permissions, tries what the sandbox must refuse (and the few things it
 * must allow) and prints one JSON object `{check: "refused" | "allowed"}`. Never part of the daemon.
 *
 * @module
 */

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

async function attempt(action: () => unknown): Promise<"refused" | "allowed"> {
  try {
    await action();
    return "allowed";
  } catch (error) {
    // Only a permission refusal counts; any other failure means the sandbox let the call through.
    return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ? "refused"
      : "allowed";
  }
}

const broker = Deno.args[0];
const result = {
  ffi: await attempt(() => Deno.dlopen(LIBC, { getpid: { parameters: [], result: "i32" } })),
  readShadow: await attempt(() => Deno.readTextFile("/etc/shadow")),
  readSysClassNet: await attempt(() => Array.from(Deno.readDirSync("/sys/class/net"))),
  readProcNetns: await attempt(() => Deno.readLink("/proc/self/ns/net")),
  runShell: await attempt(() => new Deno.Command("/bin/sh", { args: ["-c", "true"] }).output()),
  runIp: await attempt(() => new Deno.Command("ip", { args: ["link"] }).output()),
  runBroker: (await Deno.permissions.query({ name: "run", command: broker })).state === "granted"
    ? "allowed"
    : "refused",
  runDeno: (await Deno.permissions.query({ name: "run", command: "deno" })).state === "granted"
    ? "allowed"
    : "refused",
  writeTmp: await attempt(() => Deno.writeTextFile("/tmp/macvtap-sandbox-probe", "x")),
  tcpConnect: await attempt(() => Deno.connect({ hostname: "127.0.0.1", port: 9 })),
  envHome: await attempt(() => Deno.env.get("HOME")),
  envConfig: await attempt(() => Deno.env.get("DP_MACVTAP_CONF")),
  sys: await attempt(() => Deno.hostname()),
};
console.log(JSON.stringify(result));
