// sysctl_set: only the two neighbour-notify sysctls, only "0"/"1", written inside the given netns
// (checked against `sysctl` in that netns and in the host's, which must not change).
import assert from "node:assert/strict";
import { isAllowedSysctl, setSysctl } from "../../host/neighbour_notify.ts";
import { Libc, libcPathFor } from "../../host/libc.ts";
import { NetnsTable } from "../../host/netns.ts";
import { EINVAL } from "../../host/kernel.ts";
import { isRoot, TestNetns } from "../../../testing/netns.ts";

Deno.test("sysctl_set allows exactly arp_notify and ndisc_notify of a valid interface name", () => {
  assert.ok(isAllowedSysctl("net/ipv4/conf/net1/arp_notify"));
  assert.ok(isAllowedSysctl("net/ipv6/conf/pod0123456789a/ndisc_notify"));
  for (
    const key of [
      "net/ipv4/ip_forward",
      "net/ipv4/conf/all/forwarding",
      "net/ipv4/conf/net1/arp_ignore",
      "net/ipv4/conf/../arp_notify",
      "net/ipv4/conf/a/b/arp_notify",
      "net/ipv4/conf/averyveryverylongname/arp_notify",
      "kernel/core_pattern",
      "/net/ipv4/conf/net1/arp_notify",
    ]
  ) {
    assert.equal(isAllowedSysctl(key), false, key);
  }
});

Deno.test({
  name: "sysctl_set writes inside the netns only, and refuses other values",
  ignore: !isRoot,
  async fn() {
    await using pod = await TestNetns.create("sysctl");
    await pod.addVeth("net1", "peer1");
    const libc = new Libc(libcPathFor(Deno.build.arch)!);
    const table = new NetnsTable(libc);
    const fd = table.open(pod.path);
    assert.ok(fd >= 0, `netns_open: ${fd}`);
    try {
      assert.equal(setSysctl(libc, fd, "net/ipv4/conf/net1/arp_notify", "1"), 0);
      assert.equal(setSysctl(libc, fd, "net/ipv6/conf/net1/ndisc_notify", "1"), 0);
      assert.equal(setSysctl(libc, fd, "net/ipv4/conf/net1/arp_notify", "2"), -EINVAL);
      assert.equal(setSysctl(libc, fd, "net/ipv4/ip_forward", "1"), -EINVAL);
      assert.ok(setSysctl(libc, fd, "net/ipv4/conf/nosuch0/arp_notify", "1") < 0, "no such interface");
      const read = async (ns: string[], key: string) => {
        const out = await new Deno.Command("ip", { args: [...ns, "sysctl", "-n", key], stdout: "piped" })
          .output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      assert.equal(await read(["netns", "exec", pod.name], "net.ipv4.conf.net1.arp_notify"), "1");
      assert.equal(await read(["netns", "exec", pod.name], "net.ipv6.conf.net1.ndisc_notify"), "1");
      const hostDefault = await new Deno.Command("sysctl", {
        args: ["-n", "net.ipv4.conf.default.arp_notify"],
        stdout: "piped",
      })
        .output();
      assert.equal(
        new TextDecoder().decode(hostDefault.stdout).trim(),
        "0",
        "the host's own sysctls are untouched",
      );
    } finally {
      table.closeAll();
    }
  },
});
