import assert from "node:assert/strict";
import { BrokerHostLinks, spawnBroker } from "../host/broker_host_links.ts";
import { HostLinkError, type LinkEvent } from "../host/host_links.ts";
import { tempLinkName } from "../macvtap/temp_link_name.ts";
import { isRoot, TestNetns } from "../../testing/netns.ts";
import { writeStandinBrokerScript } from "./standin_broker.ts";

async function withBroker(
  netns: string | null,
  body: (links: BrokerHostLinks) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mvt-broker-" });
  try {
    const program = await writeStandinBrokerScript(dir, netns);
    await using links = new BrokerHostLinks(() => spawnBroker(program));
    await links.ready();
    await body(links);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function waitFor(events: LinkEvent[], predicate: (e: LinkEvent) => boolean): Promise<LinkEvent> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = () => {
      const hit = events.find(predicate);
      if (hit) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error("no matching link event within 10 s"));
      setTimeout(poll, 10);
    };
    poll();
  });
}

Deno.test({
  name: "stand-in broker reports the machine's eth0 as a physical link (read-only)",
  ignore: !isRoot,
  fn: () =>
    withBroker(null, async (links) => {
      const eth0 = (await links.list()).find((link) => link.name === "eth0");
      assert.ok(eth0, "eth0 listed");
      assert.equal(eth0.kind, undefined);
      assert.ok(eth0.parentDevName, "hardware links carry a parent device");
      const lo = (await links.list()).find((link) => link.name === "lo");
      assert.equal(lo?.loopback, true);
    }),
});

Deno.test({
  name: "stand-in broker creates, reports and deletes macvtaps in a netns",
  ignore: !isRoot,
  sanitizeResources: false, // the broker child's pipes close asynchronously
  fn: async () => {
    await using node = await TestNetns.create("broker");
    await using peer = await TestNetns.create("peer");
    await node.addVeth("lower0", "peer0", peer);
    await withBroker(node.name, async (links) => {
      const events: LinkEvent[] = [];
      using _watch = await links.watch((event) => events.push(event));
      assert.deepEqual((await links.list()).find((l) => l.name === "lower0")?.kind, "veth");

      await peer.ip("link", "set", "peer0", "down");
      await waitFor(events, (e) => e.type === "new" && e.link.name === "lower0" && !e.link.carrier);

      const name = tempLinkName("lower0Mvp0");
      const { ifindex } = await links.createMacvtap({ name, lower: "lower0", mode: "vepa" });
      const created = await node.link(name);
      assert.equal(created?.ifindex, ifindex);
      assert.equal(created?.linkinfo?.info_data?.mode, "vepa");
      assert.ok(await Deno.stat(`/dev/tap${ifindex}`), "/dev/tapN exists");
      assert.deepEqual((await links.listTempLinks()).map((l) => l.name), [name]);
      await assert.rejects(
        links.createMacvtap({ name, lower: "lower0", mode: "vepa" }),
        (e: unknown) => e instanceof HostLinkError && e.code === "EEXIST",
      );
      await assert.rejects(
        links.deleteLink("lower0"),
        (e: unknown) => e instanceof HostLinkError && e.code === "EPERM",
      );
      assert.equal(await links.deleteLink(name), true);
      assert.equal(await links.deleteLink(name), false);
      assert.equal(await node.link(name), null);

      await node.ip("link", "del", "lower0");
      await waitFor(events, (e) => e.type === "del" && e.link.name === "lower0");
    });
  },
});
