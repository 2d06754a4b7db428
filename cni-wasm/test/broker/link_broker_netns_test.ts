// The built link broker (dist/link-broker) speaking protocol v1 in a throwaway node netns:
// list, watch events, create/delete within its mandate, refusals outside it, and protocol errors.
import assert from "node:assert/strict";
import { TestNetns } from "../../../testing/netns.ts";
import { Broker, buildBroker, type Line } from "./_broker_process.ts";
import { rootTest } from "../../../testing/root_gate.ts";

rootTest(
  "link broker: hello, list, watch, create and delete a temp macvtap, events",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker");
    await node.addVeth("lower0", "peer0");
    await using broker = new Broker(node);
    const hello = await broker.next((line) => "hello" in line);
    assert.deepEqual([hello.hello, hello.version], ["macvtap-link-broker", 1]);

    await broker.send({ id: 1, op: "list" });
    const listed = (await broker.answer(1)).result as { links: { name: string; kind?: string }[] };
    assert.deepEqual(listed.links.map((l) => l.name).sort(), ["lo", "lower0", "peer0"]);

    await broker.send({ id: 2, op: "watch" });
    assert.deepEqual((await broker.answer(2)).result, { watching: true });

    await broker.send({ id: 3, op: "createMacvtap", name: "mvt1fe868afb8c3", lower: "lower0", mode: "vepa" });
    const created = (await broker.answer(3)).result as { ifindex: number; name: string };
    const link = await node.link("mvt1fe868afb8c3");
    assert.equal(link?.ifindex, created.ifindex);
    assert.equal(link?.linkinfo?.info_kind, "macvtap");
    assert.equal(link?.linkinfo?.info_data?.mode, "vepa");
    assert.ok(link?.flags.includes("UP"), "created up");
    const event = await broker.next((line) =>
      line.event === "link" && (line.link as Line).name === "mvt1fe868afb8c3"
    );
    assert.equal(event.action, "new");

    await broker.send({ id: 4, op: "listTempLinks" });
    const temps = (await broker.answer(4)).result as { links: { name: string; macvtapMode: string }[] };
    assert.deepEqual(temps.links.map((l) => [l.name, l.macvtapMode]), [["mvt1fe868afb8c3", "vepa"]]);

    await broker.send({ id: 5, op: "deleteLink", name: "mvt1fe868afb8c3" });
    assert.deepEqual((await broker.answer(5)).result, { deleted: true });
    await broker.send({ id: 6, op: "deleteLink", name: "mvt1fe868afb8c3" });
    assert.deepEqual((await broker.answer(6)).result, { deleted: false });
    await broker.next((line) => line.event === "link" && line.action === "del");
    assert.equal(await node.link("mvt1fe868afb8c3"), null);
  },
);

rootTest(
  "link broker: refuses anything outside its mandate, and bad requests, without touching links",
  async () => {
    await buildBroker();
    await using node = await TestNetns.create("broker");
    await node.addVeth("lower0", "peer0");
    await node.addVeth("mvt000000000001", "other0"); // a veth with a temp-link-shaped name
    await using broker = new Broker(node);
    const cases: [Line, string][] = [
      [{ id: 1, op: "createMacvtap", name: "eth0", lower: "lower0", mode: "bridge" }, "EPERM"],
      [{ id: 2, op: "deleteLink", name: "lower0" }, "EPERM"],
      [{ id: 3, op: "deleteLink", name: "mvt000000000001" }, "EPERM"],
      [{ id: 4, op: "createMacvtap", name: "mvt1fe868afb8c3", lower: "nope0", mode: "bridge" }, "ENODEV"],
      [{ id: 5, op: "createMacvtap", name: "mvt1fe868afb8c3", lower: "lower0", mode: "weird" }, "EINVAL"],
      [{ id: 6, op: "frobnicate" }, "EPROTO"],
    ];
    for (const [request, code] of cases) {
      await broker.send(request);
      const answer = await broker.answer(request.id as number);
      assert.equal((answer.error as Line)?.code, code, JSON.stringify(request));
    }
    await broker.sendRaw("not json\n");
    assert.equal(((await broker.answer(0)).error as Line).code, "EPROTO");
    const names = (await node.links()).map((l) => l.ifname).sort();
    assert.deepEqual(names, ["lo", "lower0", "mvt000000000001", "other0", "peer0"]);
  },
);
