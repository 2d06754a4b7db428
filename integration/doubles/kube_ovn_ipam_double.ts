/**
 * TEST DOUBLE of kube-ovn's CNI binary used as an IPAM plugin (`"ipam": {"type": "kube-ovn", ...}`). It is
 * not kube-ovn: it never talks to a kube-ovn daemon. It checks what the real binary needs from the
 * delegating plugin, answers with the allocation the test planned in kube-ovn's result shape, and records
 * every call so the test can see what reached it.
 *
 * What the real binary does (kubeovn/kube-ovn cmd/cni/cni.go and netconf.go) and the double mirrors:
 * - takes `server_socket` and `provider` from the `ipam` object when the parent `type` is not kube-ovn, and
 *   refuses a config without `server_socket`;
 * - needs `K8S_POD_NAME` and `K8S_POD_NAMESPACE` in CNI_ARGS (it asks its daemon for that pod's address);
 * - answers ADD with `interfaces: [{name, mac, sandbox}]` (the MAC it reserved for the pod), `ips` with
 *   `interface: 0` and the gateway, a default route via the gateway per family, and `dns`, converted to
 *   the caller's cniVersion;
 * - maps a failed RPC to its daemon to code 11 "try again later".
 * The error codes for a bad config (7) or bad CNI_ARGS (4) are this double's choice.
 *
 * Run by the wrapper `install.ts` writes as `<binDir>/kube-ovn`:
 *   deno run --allow-read=<binDir> --allow-write=<binDir> --allow-env kube_ovn_ipam_double.ts <binDir>
 * It reads the plan from `<binDir>/kube-ovn.plan.json` and appends to `<binDir>/kube-ovn.calls.jsonl`.
 *
 * @module
 */

/** One address family of the planned allocation. */
export interface PlannedAddress {
  /** CIDR of the pod address, e.g. "10.16.0.5/16". */
  address: string;
  gateway: string;
}

/** What the double answers to ADD: an allocation, or kube-ovn's error. */
export interface KubeOvnPlan {
  allocation?: {
    mac: string;
    ipv4?: PlannedAddress;
    ipv6?: PlannedAddress;
    dns?: { nameservers?: string[]; search?: string[] };
  };
  /** E.g. {code: 11, msg: "RPC failed", details: "..."} as kube-ovn returns when its daemon fails. */
  error?: { code: number; msg: string; details?: string };
}

/** Variables the double's wrapper sets for Deno itself (see install.ts). */
export const WRAPPER_VARIABLES = ["DENO_DIR", "DENO_NO_UPDATE_CHECK", "NO_COLOR"] as const;

/** What the wrapper adds to the environment it was given: its settings, and PWD (the shell exports it). */
const NOT_RECORDED: readonly string[] = [...WRAPPER_VARIABLES, "PWD"];

/** One recorded invocation. */
export interface KubeOvnCall {
  command: string;
  /** The environment the delegating plugin started the double with (the wrapper's additions left out). */
  env: Record<string, string>;
  /** stdin exactly as received. */
  stdin: string;
}

export const PLAN_FILE = "kube-ovn.plan.json";
export const CALLS_FILE = "kube-ovn.calls.jsonl";

class CniFailure extends Error {
  constructor(readonly code: number, message: string, readonly details = "") {
    super(message);
  }
}

async function main(dir: string): Promise<void> {
  const stdin = await new Response(Deno.stdin.readable).text();
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !NOT_RECORDED.includes(key)),
  );
  const command = env.CNI_COMMAND ?? "";
  const call: KubeOvnCall = { command, env, stdin };
  await Deno.writeTextFile(`${dir}/${CALLS_FILE}`, `${JSON.stringify(call)}\n`, { append: true });
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(stdin) as Record<string, unknown>;
    if (command === "VERSION") {
      return print({ cniVersion: "1.0.0", supportedVersions: ["0.3.1", "0.4.0", "1.0.0"] });
    }
    checkRequest(config, env.CNI_ARGS ?? "");
    if (command !== "ADD") return;
    const plan = JSON.parse(await Deno.readTextFile(`${dir}/${PLAN_FILE}`)) as KubeOvnPlan;
    if (plan.error) throw new CniFailure(plan.error.code, plan.error.msg, plan.error.details);
    print(addResult(plan, config, env));
  } catch (error) {
    const failure = error instanceof CniFailure ? error : new CniFailure(999, String(error));
    print({
      cniVersion: config.cniVersion,
      code: failure.code,
      msg: failure.message,
      details: failure.details,
    });
    Deno.exit(1);
  }
}

/** What kube-ovn's loadNetConf and its CNI_ARGS parsing insist on. */
function checkRequest(config: Record<string, unknown>, cniArgs: string): void {
  const ipam = (config.ipam ?? {}) as Record<string, unknown>;
  if (typeof ipam.server_socket !== "string" || ipam.server_socket === "") {
    throw new CniFailure(7, "server_socket is required in cni.conf");
  }
  if (typeof ipam.provider !== "string" || !/^[^.]+\.[^.]+$/.test(ipam.provider)) {
    throw new CniFailure(
      7,
      `ipam.provider must be "<nad name>.<nad namespace>", got ${JSON.stringify(ipam.provider)}`,
    );
  }
  const args = new Map(
    cniArgs.split(";").filter((p) => p.includes("=")).map((p) => p.split("=", 2) as [string, string]),
  );
  for (const key of ["K8S_POD_NAME", "K8S_POD_NAMESPACE"]) {
    if (!args.get(key)) throw new CniFailure(4, `${key} is missing from CNI_ARGS`);
  }
}

/** kube-ovn's generateCNIResult, then converted to the config's version like its PrintResult. */
function addResult(plan: KubeOvnPlan, config: Record<string, unknown>, env: Record<string, string>): unknown {
  const allocation = plan.allocation!;
  const version = String(config.cniVersion ?? "1.0.0");
  const withIpVersion = version.startsWith("0.");
  const families = [["4", allocation.ipv4, "0.0.0.0/0"], ["6", allocation.ipv6, "::/0"]] as const;
  const ips = [];
  const routes = [];
  for (const [family, planned, everything] of families) {
    if (!planned) continue;
    ips.push({
      ...(withIpVersion ? { version: family } : {}),
      address: planned.address,
      gateway: planned.gateway,
      interface: 0,
    });
    routes.push({ dst: everything, gw: planned.gateway });
  }
  return {
    cniVersion: version,
    interfaces: [{ name: env.CNI_IFNAME, mac: allocation.mac, sandbox: env.CNI_NETNS }],
    ips,
    routes,
    dns: allocation.dns ?? {},
  };
}

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

if (import.meta.main) await main(Deno.args[0]!);
