/**
 * rtnl.ts against the real kernel: the netlink test module runs on the native capability host
 * (cni-wasm/test/native_module.ts) in throwaway namespaces, and every effect is checked with `ip -j`.
 *
 * Requires root, --allow-run (ip, the test module, wasm2c and cc to build it) and read/write on the repository.
 */
import assert from "node:assert/strict";
import { TestNetns, uniqueIfindex } from "../../../testing/netns.ts";
import { type ModuleArgument, NativeModule } from "../native_module.ts";
import { rootTest } from "../../../testing/root_gate.ts";

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const RTMGRP_LINK = 1;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** The netlink test module on the native host: `json` parses a function's JSON answer, `number` its integer. */
class Kernel implements AsyncDisposable {
  private constructor(readonly native: NativeModule) {}

  static async start(): Promise<Kernel> {
    return new Kernel(await NativeModule.start());
  }

  async json(fn: string, ...args: ModuleArgument[]): Promise<Json> {
    return JSON.parse(await this.native.call(fn, ...args));
  }

  async number(fn: string, ...args: ModuleArgument[]): Promise<number> {
    const text = await this.native.call(fn, ...args);
    assert.match(text, /^-?\d+$/, `${fn} answers an integer`);
    return Number(text);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.native.close();
  }
}

/** Opens a connection in `ns` and returns its number for connSelect. */
async function connIn(nl: Kernel, ns: TestNetns, groups = 0): Promise<number> {
  const handle = await nl.number("netnsOpen", ns.path);
  assert.ok(handle >= 0, `netns_open ${ns.path}: ${handle}`);
  const opened = await nl.json("connOpen", handle, groups);
  assert.equal(opened.error, undefined, opened.text);
  return opened.conn;
}

const ok = async (answer: Promise<Json>) => assert.deepEqual(await answer, { error: null });

rootTest(
  "rtnl on the kernel: create a macvtap, then move + rename + MAC + MTU + up + promisc in ONE message",
  async () => {
    await using node = await TestNetns.create("nl-node");
    await using pod = await TestNetns.create("nl-pod");
    await node.addVeth("vlo0", "vlo1");
    await using nl = await Kernel.start();
    const nodeConn = await connIn(nl, node);
    const lower = (await nl.json("rtnlGetLinkByName", "vlo0")).link;
    const index = uniqueIfindex();
    await ok(nl.json("rtnlCreateMacvlan", "macvtap", "mvt0", lower.index, "bridge", index));
    const created = (await node.link("mvt0"))!;
    assert.equal(created.ifindex, index);
    assert.equal(created.linkinfo?.info_kind, "macvtap");
    assert.equal(created.linkinfo?.info_data?.mode, "bridge");
    const again = await nl.json(
      "rtnlCreateMacvlan",
      "macvtap",
      "mvt0",
      lower.index,
      "bridge",
      uniqueIfindex(),
    );
    assert.equal(again.error.errno, 17, again.text);

    const podHandle = await nl.number("netnsOpen", pod.path);
    const change = {
      index,
      netnsFd: podHandle,
      name: "net1",
      address: "02:42:ac:11:00:07",
      mtu: 1400,
      up: true,
      promisc: true,
    };
    await ok(nl.json("rtnlSetLink", JSON.stringify(change)));
    assert.equal(await node.link("mvt0"), null, "gone from the node netns");
    const moved = (await pod.link("net1"))!;
    assert.deepEqual(
      [moved.ifindex, moved.address, moved.mtu, moved.flags.includes("UP"), moved.promiscuity >= 1],
      [index, "02:42:ac:11:00:07", 1400, true, true],
      "the ifindex (and so /dev/tapN) survives the move",
    );

    await connIn(nl, pod);
    const seen = (await nl.json("rtnlGetLinkByName", "net1")).link;
    assert.equal(seen.index, index);
    assert.deepEqual(seen.linkInfo.kind, "macvtap");
    assert.equal(seen.linkInfo.macvlan.mode, "bridge");
    assert.ok(seen.linkNetnsId >= 0, "the lower link is in another netns");
    await nl.native.call("connSelect", nodeConn);
    assert.deepEqual(
      await nl.json("rtnlGetLinkByIndex", index),
      { error: null, link: null },
      "ENODEV in the node",
    );
  },
);

rootTest(
  "rtnl on the kernel: move + rename onto a taken name is NOT atomic: moved, MTU set, old name, EEXIST",
  async () => {
    // What kernel 6.18 does (and what CNI rollback has to expect): do_setlink moves the link first,
    // applies the MTU, then fails the rename, so after EEXIST the link sits in the target netns under
    // its old name with part of the change applied.
    await using node = await TestNetns.create("nl-node");
    await using pod = await TestNetns.create("nl-pod");
    await node.addVeth("vlo0", "vlo1");
    await pod.addVeth("net1", "peer1");
    await using nl = await Kernel.start();
    await connIn(nl, node);
    const index = await node.addMacvtap("mvt0", "vlo0");
    const change = { index, netnsFd: await nl.number("netnsOpen", pod.path), name: "net1", mtu: 1400 };
    const result = await nl.json("rtnlSetLink", JSON.stringify(change));
    assert.equal(result.error.errno, 17, result.text);
    assert.equal(await node.link("mvt0"), null, "left the node netns");
    const moved = (await pod.link("mvt0"))!;
    assert.deepEqual(
      [moved.ifindex, moved.mtu],
      [index, 1400],
      "in the pod netns, old name, MTU already applied",
    );
  },
);

rootTest(
  "rtnl on the kernel: addresses, routes, EEXIST, an ext-ack EINVAL, delete and ENODEV",
  async () => {
    await using pod = await TestNetns.create("nl-pod");
    await pod.addVeth("eth1", "peer1");
    await using nl = await Kernel.start();
    await connIn(nl, pod);
    const link = (await nl.json("rtnlGetLinkByName", "eth1")).link;
    const v4 = {
      family: AF_INET,
      prefixLen: 24,
      index: link.index,
      local: "10.1.2.3",
      address: "10.1.2.3",
      broadcast: "10.1.2.255",
    };
    await ok(nl.json("rtnlAddAddress", JSON.stringify(v4)));
    const v6 = { family: AF_INET6, prefixLen: 64, flags: 2, index: link.index, address: "fd00::3" };
    await ok(nl.json("rtnlAddAddress", JSON.stringify(v6)));
    assert.equal((await nl.json("rtnlAddAddress", JSON.stringify(v4))).error.errno, 17);
    const listed = await nl.json("rtnlListAddresses", AF_UNSPEC, link.index);
    const addresses = listed.addresses.map((a: Json) => `${a.address}/${a.prefixLen}`);
    assert.ok(addresses.includes("10.1.2.3/24") && addresses.includes("fd00::3/64"), addresses.join(" "));

    const route = { family: AF_INET, gateway: "10.1.2.1", oif: link.index, priority: 100 };
    await ok(nl.json("rtnlAddRoute", JSON.stringify(route)));
    assert.equal((await nl.json("rtnlAddRoute", JSON.stringify(route))).error.errno, 17);
    assert.match(await pod.ip("route", "show", "default"), /default via 10\.1\.2\.1 dev eth1 .*metric 100/);
    assert.ok(
      (await nl.json("rtnlListRoutes", AF_INET)).routes.some((r: Json) =>
        r.gateway === "10.1.2.1" && r.dstLen === 0
      ),
    );

    const tooBig = await nl.json("rtnlSetLink", JSON.stringify({ index: link.index, mtu: 70000 }));
    assert.equal(tooBig.error.errno, 22);
    assert.equal(tooBig.error.message, "mtu greater than device maximum", "the kernel's ext-ack words");

    await ok(nl.json("rtnlDeleteLink", link.index));
    assert.deepEqual(await nl.json("rtnlGetLinkByName", "eth1"), { error: null, link: null });
    assert.equal((await nl.json("rtnlDeleteLink", link.index)).error.errno, 19);
    assert.equal((await nl.json("rtnlListLinks")).links.map((l: Json) => l.name).join(","), "lo");
  },
);

rootTest(
  "rtnl on the kernel: RTMGRP_LINK events for links created and deleted by someone else",
  async () => {
    await using node = await TestNetns.create("nl-events");
    await using nl = await Kernel.start();
    await connIn(nl, node, RTMGRP_LINK);
    await node.addVeth("evt0", "evt1");
    await node.ip("link", "del", "evt0");
    const seen: string[] = [];
    for (
      let event = await nl.json("connRecvEvent", 1000);
      event.message;
      event = await nl.json("connRecvEvent", 200)
    ) {
      assert.equal(event.error, null);
      seen.push(`${event.message.type} ${event.message.link.name}`);
    }
    for (const expected of ["RTM_NEWLINK evt0", "RTM_NEWLINK evt1", "RTM_DELLINK evt0", "RTM_DELLINK evt1"]) {
      assert.ok(seen.includes(expected), `${expected} in ${seen.join(", ")}`);
    }
  },
);
