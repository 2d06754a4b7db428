// A failed ADD gives the device plugin its macvtap back exactly as it left it (up or down, MAC, MTU, no
// promiscuous mode, same ifindex), never claims that a release failed when the IPAM plugin never ran, and
// finds a misconfigured IPAM (not in CNI_PATH, or not speaking the config's cniVersion) before the link moves
// at all. "Never moved" is read off /dev/tapN: the kernel re-creates a macvtap's character device (new inode)
// whenever the link changes netns, even there and back.
import { deepEqual, equal } from "node:assert/strict";
import { ensure, expectError } from "../testing/expect.ts";
import { installPrintingIpam, scriptIpamCalls } from "./doubles/install.ts";
import { expectBackOnNode, expectEmptyPod } from "../testing/pod_view.ts";
import { rootTest } from "../testing/root_gate.ts";
import { type Allocation, macvtapConfig, TestNode } from "../testing/test_node.ts";
import type { IpLink } from "../testing/netns.ts";

/** What the device plugin set on its temp link, and what ADD changes in the pod. */
function linkState(link: IpLink | null) {
  return link && {
    ifindex: link.ifindex,
    address: link.address,
    mtu: link.mtu,
    up: link.flags.includes("UP"),
    promiscuity: link.promiscuity,
  };
}

/** The inode of /dev/tap<ifindex>: it changes when the macvtap leaves the node netns, even for a moment. */
async function tapInode(allocation: Allocation): Promise<number | null> {
  return (await Deno.lstat(`/dev/tap${allocation.ifindex}`)).ino;
}

/** A config that makes ADD change everything it can on the link before its IPAM step fails. */
function changingConfig(allocation: Allocation, ipamType: string, version = "1.0.0") {
  return macvtapConfig(version, "restore", {
    deviceID: allocation.deviceId,
    mtu: 1400,
    mac: "02:00:00:5e:00:10",
    promiscMode: true,
    ipam: { type: ipamType },
  });
}

for (const up of [true, false]) {
  rootTest(
    `rollback: the temp link comes back ${
      up ? "up" : "down"
    } as it was, with its MAC and MTU, not promiscuous`,
    async () => {
      await using node = await TestNode.create("rbstate");
      const allocation = await node.allocate(up ? "rsMvp0" : "rsMvp1");
      if (!up) await node.node.ip("link", "set", allocation.tempName, "down");
      const before = linkState(await node.node.link(allocation.tempName));
      await installPrintingIpam(node.binDir, "no-ips", JSON.stringify({ cniVersion: "1.0.0", ips: [] }));
      const pod = await node.attachment();

      const run = await node.run("ADD", pod, changingConfig(allocation, "no-ips"));
      expectError(run, "ADD whose IPAM result has no IPs", { code: 106 });
      await expectEmptyPod(pod.pod, run);
      await expectBackOnNode(node, allocation, run);
      deepEqual(linkState(await node.node.link(allocation.tempName)), before);
      ensure(!run.stdout.includes("rollback incomplete"), "the rollback completed", run);
    },
  );
}

rootTest(
  "IPAM plugin missing from CNI_PATH: error before the link moves, and no release is claimed",
  async () => {
    await using node = await TestNode.create("rbmissing");
    const allocation = await node.allocate("rsMvp2");
    const [before, inode] = [
      linkState(await node.node.link(allocation.tempName)),
      await tapInode(allocation),
    ];
    const pod = await node.attachment();

    const run = await node.run("ADD", pod, changingConfig(allocation, "no-such-ipam"));
    const error = expectError(run, "ADD with an IPAM plugin nobody installed", {
      code: 106,
      mentions: ["no-such-ipam", "not found in CNI_PATH"],
    });
    ensure(!/releas|rollback/.test(`${error.msg} ${error.details ?? ""}`), "nothing was allocated", run);
    equal(await tapInode(allocation), inode, "the macvtap never left the node");
    deepEqual(linkState(await node.node.link(allocation.tempName)), before);
    await expectEmptyPod(pod.pod, run);
  },
);

rootTest(
  "IPAM plugin that does not speak the config's cniVersion (Debian static at 1.1.0): code 1, nothing moved",
  async () => {
    await using node = await TestNode.create("rbversion");
    const allocation = await node.allocate("rsMvp3");
    const [before, inode] = [
      linkState(await node.node.link(allocation.tempName)),
      await tapInode(allocation),
    ];
    const pod = await node.attachment();

    const run = await node.run("ADD", pod, changingConfig(allocation, "static", "1.1.0"));
    expectError(run, "ADD at 1.1.0 with static, which speaks up to 1.0.0", {
      code: 1,
      mentions: ["static", "does not support cniVersion 1.1.0", "1.0.0"],
    });
    equal(await tapInode(allocation), inode, "the macvtap never left the node");
    deepEqual(linkState(await node.node.link(allocation.tempName)), before);
    await expectEmptyPod(pod.pod, run);
  },
  { programs: ["/usr/lib/cni/static"] },
);

rootTest(
  "IPAM plugin gone between VERSION and ADD: rolled back, and no failed release is claimed",
  async () => {
    await using node = await TestNode.create("rbvanish");
    const allocation = await node.allocate("rsMvp4");
    const before = linkState(await node.node.link(allocation.tempName));
    // A plugin that answers VERSION and then removes itself: ADD, after the move, finds nothing to run.
    const path = `${node.binDir}/vanishing`;
    await Deno.writeTextFile(
      path,
      [
        "#!/bin/sh",
        "# IPAM TEST DOUBLE (integration/rollback_state_test.ts): answers VERSION, then deletes itself",
        `echo "$CNI_COMMAND" >> '${path}.calls'`,
        `rm -f '${path}'`,
        `echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const pod = await node.attachment();

    const run = await node.run("ADD", pod, changingConfig(allocation, "vanishing"));
    const error = expectError(run, "ADD whose IPAM plugin vanished", {
      code: 106,
      mentions: ["vanishing", "not found in CNI_PATH"],
    });
    ensure(
      !/releas|rollback incomplete/.test(`${error.msg} ${error.details ?? ""}`),
      "nothing was allocated",
      run,
    );
    deepEqual(await scriptIpamCalls(node.binDir, "vanishing"), ["VERSION"]);
    await expectEmptyPod(pod.pod, run);
    await expectBackOnNode(node, allocation, run);
    deepEqual(linkState(await node.node.link(allocation.tempName)), before);
  },
);
