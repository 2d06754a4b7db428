import assert from "node:assert/strict";
import {
  checkLink,
  checkPeerMacvtap,
  encodeLine,
  parseBrokerLine,
  parseRequest,
  ProtocolError,
} from "./broker_protocol.ts";

const LINK = { ifindex: 4, name: "eth0", up: true, carrier: true, loopback: false, firstSeenMs: 1 };

Deno.test("parseBrokerLine() reads hello, responses and events", () => {
  assert.deepEqual(parseBrokerLine('{"hello":"macvtap-link-broker","version":1,"implementation":"x"}'), {
    hello: "macvtap-link-broker",
    version: 1,
    implementation: "x",
  });
  assert.deepEqual(parseBrokerLine('{"id":3,"result":{"deleted":false}}'), {
    id: 3,
    result: { deleted: false },
  });
  assert.deepEqual(parseBrokerLine('{"id":3,"error":{"code":"ENODEV","message":"gone"}}'), {
    id: 3,
    error: { code: "ENODEV", message: "gone" },
  });
  assert.deepEqual(parseBrokerLine(encodeLine({ event: "link", action: "del", link: LINK })), {
    event: "link",
    action: "del",
    link: LINK,
  });
  assert.deepEqual(parseBrokerLine('{"event":"resync","reason":"ENOBUFS"}'), {
    event: "resync",
    reason: "ENOBUFS",
  });
});

Deno.test("parseBrokerLine() rejects what breaks the protocol", () => {
  for (
    const line of [
      "not json",
      "[]",
      '{"what":1}',
      '{"hello":"other","version":1,"implementation":"x"}',
      '{"id":-1,"result":{}}',
      '{"id":1,"error":{"code":"nope","message":"x"}}',
      '{"event":"link","action":"changed","link":{}}',
      '{"event":"link","action":"new","link":{"name":"eth0"}}',
    ]
  ) {
    assert.throws(() => parseBrokerLine(line), ProtocolError, line);
  }
});

Deno.test("checkLink() keeps known fields and checks their types", () => {
  const full = {
    ...LINK,
    kind: "macvtap",
    parentDevName: "virtio2",
    parentBusName: "virtio",
    lowerIfindex: 2,
    macvtapMode: "vepa",
    numaNode: 1,
    extension: "ignored",
  };
  const { extension: _ignored, ...expected } = full;
  assert.deepEqual(checkLink(full), expected);
  assert.throws(() => checkLink({ ...LINK, up: "yes" }), /bad up/);
  assert.throws(() => checkLink({ ...LINK, macvtapMode: "bridged" }), /bad macvtapMode/);
  assert.throws(() => checkLink({ ...LINK, numaNode: -1 }), /bad numaNode/);
});

Deno.test("checkLink() keeps the hostdev facts: driver, pciAddress, defaultRoute (true only)", () => {
  const nic = { ...LINK, driver: "virtio_net", pciAddress: "0000:00:03.0", defaultRoute: true };
  assert.deepEqual(checkLink(nic), nic);
  assert.deepEqual(checkLink({ ...LINK, defaultRoute: false }), LINK, "false is the same as absent");
  assert.throws(() => checkLink({ ...LINK, driver: 7 }), /bad driver/);
  assert.throws(() => checkLink({ ...LINK, pciAddress: null }), /bad pciAddress/);
  assert.throws(() => checkLink({ ...LINK, defaultRoute: "yes" }), /bad defaultRoute/);
});

Deno.test("parseRequest() reads every op and reports bad ones with their id", () => {
  assert.deepEqual(parseRequest('{"id":1,"op":"list"}'), { id: 1, op: "list" });
  assert.deepEqual(
    parseRequest('{"id":2,"op":"createMacvtap","name":"mvt","lower":"eth0","mode":"private"}'),
    {
      id: 2,
      op: "createMacvtap",
      name: "mvt",
      lower: "eth0",
      mode: "private",
    },
  );
  assert.deepEqual(parseRequest('{"id":3,"op":"deleteLink","name":"x"}'), {
    id: 3,
    op: "deleteLink",
    name: "x",
  });
  assert.throws(
    () => parseRequest('{"id":4,"op":"setns"}'),
    (e: ProtocolError & { id: number }) => e.id === 4,
  );
  assert.throws(
    () => parseRequest('{"id":5,"op":"createMacvtap","name":"m","lower":"e","mode":"x"}'),
    /mode "x"/,
  );
  assert.throws(() => parseRequest('{"op":"list"}'), (e: ProtocolError & { id: number }) => e.id === 0);
});

Deno.test("createMacvtap's optional ifindex, listPeerMacvtaps, masterIfindex and PeerMacvtap", () => {
  assert.deepEqual(
    parseRequest('{"id":6,"op":"createMacvtap","name":"m","lower":"e","mode":"bridge","ifindex":42}'),
    { id: 6, op: "createMacvtap", name: "m", lower: "e", mode: "bridge", ifindex: 42 },
  );
  for (const bad of ["0", "-1", "1.5", "2147483648", '"42"']) {
    assert.throws(
      () =>
        parseRequest(`{"id":7,"op":"createMacvtap","name":"m","lower":"e","mode":"bridge","ifindex":${bad}}`),
      /ifindex .* is not a positive 32-bit integer/,
      bad,
    );
  }
  assert.deepEqual(parseRequest('{"id":8,"op":"listPeerMacvtaps"}'), { id: 8, op: "listPeerMacvtaps" });
  assert.deepEqual(checkLink({ ...LINK, masterIfindex: 9 }), { ...LINK, masterIfindex: 9 });
  assert.throws(() => checkLink({ ...LINK, masterIfindex: "bond0" }), /bad masterIfindex/);
  const peer = { netnsId: 0, ifindex: 12, lowerIfindex: 3, name: "net1" };
  assert.deepEqual(checkPeerMacvtap({ ...peer, extra: true }), peer);
  assert.throws(() => checkPeerMacvtap({ ...peer, netnsId: -1 }), /bad netnsId/);
  assert.throws(() => checkPeerMacvtap({ ...peer, name: 1 }), /bad name/);
});
