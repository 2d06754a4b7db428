// sysctl_set through the native probe: only the two neighbour-notify sysctls of a valid interface name,
// only "0"/"1", written inside the given netns (checked with `ip netns exec … sysctl` there), never the
// host's own.
import assert from "node:assert/strict";
import { TestNetns } from "../../../testing/netns.ts";
import { runProbe } from "./_probe.ts";
import { rootTest } from "../../../testing/root_gate.ts";

async function sysctlIn(ns: TestNetns, key: string): Promise<string> {
  const out = await new Deno.Command("ip", {
    args: ["netns", "exec", ns.name, "sysctl", "-n", key],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function hostSysctl(key: string): Promise<string> {
  const out = await new Deno.Command("sysctl", { args: ["-n", key], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function set(ns: TestNetns, key: string, value: string): Promise<string | undefined> {
  return (await runProbe(["sysctl", ns.path, key, value])).values.get("sysctl");
}

rootTest(
  "sysctl_set: arp_notify and ndisc_notify are written inside the netns only",
  async () => {
    await using pod = await TestNetns.create("sysctl");
    await pod.addVeth("net1", "peer1");
    const hostBefore = await hostSysctl("net.ipv4.conf.default.arp_notify");
    assert.equal(await set(pod, "net/ipv4/conf/net1/arp_notify", "1"), "0");
    assert.equal(await set(pod, "net/ipv6/conf/net1/ndisc_notify", "1"), "0");
    assert.equal(await sysctlIn(pod, "net.ipv4.conf.net1.arp_notify"), "1");
    assert.equal(await sysctlIn(pod, "net.ipv6.conf.net1.ndisc_notify"), "1");
    assert.equal(await set(pod, "net/ipv4/conf/net1/arp_notify", "0"), "0");
    assert.equal(await sysctlIn(pod, "net.ipv4.conf.net1.arp_notify"), "0");
    assert.equal(
      await hostSysctl("net.ipv4.conf.default.arp_notify"),
      hostBefore,
      "the host's own are untouched",
    );
    assert.equal(await set(pod, "net/ipv4/conf/nosuch0/arp_notify", "1"), "-2", "no such interface");
  },
);

rootTest(
  "sysctl_set: any other key, a bad interface name or a value other than 0/1 is -EINVAL",
  async () => {
    await using pod = await TestNetns.create("sysctl");
    await pod.addVeth("net1", "peer1");
    for (
      const key of [
        "net/ipv4/ip_forward",
        "net/ipv4/conf/all/forwarding",
        "net/ipv4/conf/net1/arp_ignore",
        "net/ipv4/conf/../arp_notify",
        "net/ipv4/conf/a/b/arp_notify",
        "net/ipv4/conf/averyveryverylongname/arp_notify",
        "net/ipv4/conf//arp_notify",
        "kernel/core_pattern",
        "/net/ipv4/conf/net1/arp_notify",
        "net/ipv6/conf/net1/arp_notify",
      ]
    ) {
      assert.equal(await set(pod, key, "1"), "-22", key);
    }
    for (const value of ["2", "", "1\n", "01", "true"]) {
      assert.equal(await set(pod, "net/ipv4/conf/net1/arp_notify", value), "-22", JSON.stringify(value));
    }
    assert.equal(await sysctlIn(pod, "net.ipv4.conf.net1.arp_notify"), "0", "nothing was written");
  },
);
