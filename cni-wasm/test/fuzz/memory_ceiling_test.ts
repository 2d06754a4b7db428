// No input up to the 4 MiB stdin limit makes the CNI plugin trap, and none leaves anything in the pod. The
// plugin is built with a 64 MiB memory cap (tools/build.ts CNI_MEMORY_LIMIT_MIB; the host turns growing past
// it into a trap), so every ADD here that succeeds ran within 64 MiB. The inputs are prevResult-heavy: the
// worst shapes found by hand and seeded random mixtures (_heavy_inputs.ts), then an IPAM plugin answering
// with the largest result the plugin reads, and one byte more. Each ADD either returns prevResult plus our
// interface, or a clean error (never 999) after which the pod is empty and the macvtap is back on the node;
// DEL then succeeds. Before the JSON module had bounds, 500 routes took 184 MB and 1,500 interfaces trapped
// at 2.1 GB with net1 left up.
import { deepEqual, equal, notEqual } from "node:assert/strict";
import { ensure } from "../../../testing/expect.ts";
import type { PluginRun } from "../../../testing/plugin_exec.ts";
import { installPrintingIpam, scriptIpamCalls } from "../../../integration/doubles/install.ts";
import { expectBackOnNode, expectEmptyPod } from "../../../testing/pod_view.ts";
import { rootTest } from "../../../testing/root_gate.ts";
import { type Attachment, TestNode } from "../../../testing/test_node.ts";
import { fuzzIterations } from "./_inputs.ts";
import {
  assertWithinLimit,
  configWith,
  type HeavyConfig,
  MAX_VALUES,
  randomHeavyConfigs,
  worstShapes,
} from "./_heavy_inputs.ts";

/** Generated once with this deviceID; each case swaps in its own of the same length. */
const TEMPLATE_ID = "heavyMvp0000";

/** The spec's error object, or the host's trap report. */
interface ErrorJson {
  code: number;
  msg: string;
  details?: string;
}

/** What ADD must have returned: prevResult (its cniVersion aside) with our interface appended. */
function expectedResult(config: string, attachment: Attachment): unknown {
  const { cniVersion: _, ...prev } = JSON.parse(config).prevResult;
  const interfaces = Array.isArray(prev.interfaces) ? prev.interfaces : [];
  const ours = { name: attachment.ifname, sandbox: attachment.pod.path };
  return { cniVersion: "1.0.0", ...prev, interfaces: [...interfaces, ours] };
}

/** The Result with our interface's MAC dropped (the kernel picked it). */
function withoutOurMac(result: { interfaces: Record<string, unknown>[] }): unknown {
  const interfaces = result.interfaces.map((entry, i) => {
    if (i < result.interfaces.length - 1) return entry;
    const { mac: _, ...rest } = entry;
    return rest;
  });
  return { ...result, interfaces };
}

function asError(run: PluginRun): ErrorJson {
  const error = run.json as ErrorJson | null;
  ensure(error && typeof error.code === "number", "a failed ADD prints a CNI error object", run);
  ensure(error.msg !== "macvtap plugin trapped", `the plugin trapped: ${error.details}`, run);
  return error;
}

type ResultCheck = (
  result: { interfaces: Record<string, unknown>[] },
  config: string,
  attachment: Attachment,
) => void;

/** Without IPAM the Result is prevResult plus our interface, nothing else. */
const prevResultPlusOurs: ResultCheck = (result, config, attachment) =>
  deepEqual(withoutOurMac(result), expectedResult(config, attachment));

/** ADD then DEL of `config` on a fresh allocation and pod; asserts the outcome as described on top. */
async function addAndDelete(
  node: TestNode,
  serial: number,
  config: HeavyConfig,
  check: ResultCheck = prevResultPlusOurs,
): Promise<string> {
  assertWithinLimit(config);
  const deviceId = `heavyMvp${String(serial).padStart(4, "0")}`;
  const text = config.text.replace(`"deviceID":"${TEMPLATE_ID}"`, `"deviceID":"${deviceId}"`);
  const allocation = await node.allocate(deviceId);
  const attachment = await node.attachment();
  const add = await node.exec(node.env("ADD", attachment), text);
  let outcome = "ok";
  if (add.code === 0) {
    ensure(add.json !== null, `${config.name}: ADD printed no JSON`, add);
    check(add.json as { interfaces: Record<string, unknown>[] }, text, attachment);
  } else {
    const error = asError(add);
    outcome = `error ${error.code}`;
    await expectEmptyPod(attachment.pod, add);
    await expectBackOnNode(node, allocation, add);
  }
  const del = await node.exec(node.env("DEL", attachment), text);
  const tooManyValues = add.code !== 0 && asError(add).msg.includes(`more than ${MAX_VALUES} values`);
  if (tooManyValues) equal(asError(del).code, 6, `${config.name}: DEL of an undecodable config`);
  else equal(del.code, 0, `${config.name}: DEL must succeed: ${del.stdout}`);
  await expectEmptyPod(attachment.pod, del);
  // Gone now, not with the node: a long run (deno task fuzz) must not pile up a netns per case.
  await attachment.pod[Symbol.asyncDispose]();
  return outcome;
}

async function runAll(node: TestNode, configs: Iterable<HeavyConfig>, first = 0): Promise<string[]> {
  const outcomes: string[] = [];
  let serial = first;
  for (const config of configs) {
    outcomes.push(`${config.name}: ${await addAndDelete(node, serial++, config)}`);
  }
  return outcomes;
}

rootTest(
  "memory ceiling: the worst prevResult shapes up to 4 MiB never trap, never leak",
  async () => {
    await using node = await TestNode.create("heavyshape");
    const outcomes = await runAll(node, worstShapes(TEMPLATE_ID));
    // The shapes any real attachment could have must succeed, not merely fail cleanly.
    for (
      const name of ["500 routes", "1,500 interfaces", "21,000 routes", "one 4 MiB string", "60,000 keys"]
    ) {
      const line = outcomes.find((o) => o.startsWith(name));
      equal(line?.endsWith(": ok"), true, `${line}`);
    }
    const overCap = outcomes.find((o) => o.startsWith("more values than the cap"));
    equal(overCap?.endsWith("error 6"), true, `${overCap}`);
  },
);

rootTest(
  "memory ceiling: random prevResult-heavy configs up to 4 MiB never trap, never leak",
  async () => {
    await using node = await TestNode.create("heavyrandom");
    // Each case is a real ADD and DEL of up to 4 MiB (~0.5 s): `deno task fuzz`'s 100k becomes 100.
    const count = Math.min(fuzzIterations(16), 100);
    const outcomes = await runAll(node, randomHeavyConfigs(TEMPLATE_ID, count), 100);
    notEqual(outcomes.filter((o) => o.endsWith(": ok")).length, 0, "some random configs must attach");
  },
);

/** The IPAM result's DNS (its bulk) reached the Result whole, next to prevResult's string. */
const ipamSearchKept: ResultCheck = (result) => {
  const { dns, x } = result as unknown as { dns: { search: string[] }; x: string };
  equal((dns.search[0] ?? "").length > 1_000_000, true, "the IPAM result's dns.search");
  equal(x.length, 3 << 20, "prevResult's string");
};

rootTest(
  "memory ceiling: a 4 MiB config with a 1 MiB IPAM result; one byte more is refused cleanly",
  async () => {
    await using node = await TestNode.create("heavyipam");
    const ipam = `,"ipam":{"type":"big-ipam"}`;
    const prevString = "a".repeat(3 << 20);
    const config = configWith(TEMPLATE_ID, `"x":"${prevString}"`, ipam);
    for (const [extra, expected] of [[0, "ok"], [1, "error 106"]] as const) {
      const head = `{"cniVersion":"1.0.0","ips":[{"address":"10.80.0.5/24"}],"dns":{"search":["`;
      const tail = `"]}}`;
      const answer = head + "b".repeat((1 << 20) - head.length - tail.length + extra) + tail;
      await installPrintingIpam(node.binDir, "big-ipam", answer);
      const named = { name: `IPAM result + ${extra}`, text: config };
      equal(await addAndDelete(node, 200 + extra, named, ipamSearchKept), expected);
    }
    // VERSION before the move each time; the refused ADD released (DEL); a DEL that deleted the link releases
    // twice (cni-wasm/assembly/macvtap/del.ts), one that found none once.
    const calls = ["VERSION", "ADD", "DEL", "DEL", "VERSION", "ADD", "DEL", "DEL"];
    deepEqual(await scriptIpamCalls(node.binDir, "big-ipam"), calls);
  },
);
