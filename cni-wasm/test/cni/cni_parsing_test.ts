import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import vectors from "../../../testdata/temp_link_names.json" with { type: "json" };

interface CniModule {
  tempLinkName(deviceID: string): string;
  isTempLinkName(name: string): boolean;
  config(text: string): string;
  resultWithPciId(version: string, pciID: string): string;
  args(text: string): string;
  env(command: string, containerId: string, netns: string, ifname: string, path: string): string;
  mac(text: string): string;
  result(prev: string, version: string, name: string, mac: string, sandbox: string, mtu: number): string;
  cidr(text: string): string;
  network(text: string): string;
}

const cni = await loadModule<CniModule>("cni");
const parse = (text: string) => JSON.parse(cni.config(text));

Deno.test("tempLinkName(): mvt + 12 hex of xxh64(deviceID), the vectors both sides share", () => {
  for (const [deviceID, name] of Object.entries(vectors.names)) {
    assert.equal(cni.tempLinkName(deviceID), name, deviceID);
    assert.equal(cni.isTempLinkName(name), true, name);
  }
  assert.equal(cni.tempLinkName("").length, 15);
});

Deno.test("isTempLinkName(): refuses every shape no temp link has", () => {
  for (const name of vectors.notNames) assert.equal(cni.isTempLinkName(name), false, name);
});

Deno.test("config: Multus-style config with defaults", () => {
  const conf = parse(JSON.stringify({
    cniVersion: "0.3.1",
    name: "macvtap0",
    type: "macvtap",
    deviceID: "eth0Mvp3",
    pciBusID: "eth0Mvp3",
  }));
  assert.equal(conf.deviceID, "eth0Mvp3");
  assert.equal(conf.owner, 107);
  assert.equal(conf.group, 107);
  assert.equal(conf.mtu, 0);
  assert.equal(conf.promiscMode, false);
  assert.equal(conf.versionError, undefined);
});

Deno.test('config: deviceType is "macvtap" by default or "hostdev"; anything else is error 7', () => {
  const base = { cniVersion: "1.0.0", name: "n", type: "macvtap", deviceID: "0000:00:0a.0" };
  assert.equal(parse(JSON.stringify(base)).deviceType, "macvtap");
  assert.equal(parse(JSON.stringify({ ...base, deviceType: null })).deviceType, "macvtap");
  assert.equal(parse(JSON.stringify({ ...base, deviceType: "hostdev" })).deviceType, "hostdev");
  const wrong = parse(JSON.stringify({ ...base, deviceType: "sriov" }));
  assert.equal(wrong.code, 7);
  assert.match(wrong.msg, /"deviceType" must be "macvtap" or "hostdev", not "sriov"/);
  assert.match(parse(JSON.stringify({ ...base, deviceType: 1 })).msg, /"deviceType" must be a string/);
});

Deno.test("config: deviceID precedence runtimeConfig > deviceID > pciBusID", () => {
  const base = { cniVersion: "1.0.0", name: "n", type: "macvtap" };
  assert.equal(parse(JSON.stringify({ ...base, pciBusID: "p" })).deviceID, "p");
  assert.equal(parse(JSON.stringify({ ...base, pciBusID: "p", deviceID: "d" })).deviceID, "d");
  assert.equal(
    parse(JSON.stringify({ ...base, pciBusID: "p", deviceID: "d", runtimeConfig: { deviceID: "r" } }))
      .deviceID,
    "r",
  );
});

Deno.test("config: each invalid field is code 7 naming the field", () => {
  const base = { cniVersion: "1.0.0", name: "n", type: "macvtap", deviceID: "d" };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ mtu: 67 }, /"mtu" must be between 68 and 65535, got 67/],
    [{ mtu: 70000 }, /"mtu" must be between 68 and 65535, got 70000/],
    [{ mtu: "1500" }, /"mtu" must be an integer, got a string/],
    [{ mtu: 1500.5 }, /"mtu" must be an integer, got a number/],
    [{ promiscMode: "yes" }, /"promiscMode" must be a boolean/],
    [{ owner: -2 }, /"owner" must be between -1 and/],
    [{ group: "qemu" }, /"group" must be an integer/],
    [{ mac: "zz:00:00:00:00:01" }, /"mac": invalid MAC address "zz:00:00:00:00:01"/],
    [{ mac: "01:00:5e:00:00:01" }, /multicast/],
    [{ runtimeConfig: { mac: "00:00:00:00:00:00" } }, /"runtimeConfig.mac": .*all zeros/],
    [{ runtimeConfig: { deviceID: 7 } }, /"runtimeConfig.deviceID" must be a string, got a number/],
    [{ runtimeConfig: [] }, /"runtimeConfig" must be an object, got an array/],
    [{ deviceID: ["x"] }, /"deviceID" must be a string, got an array/],
    [{ ipam: {} }, /"ipam.type" is required/],
    [{ ipam: "host-local" }, /"ipam" must be an object/],
    [{ name: "" }, /missing network name/],
    [{ name: "-bad" }, /invalid network name "-bad"/],
    [{ cniVersion: undefined }, /"cniVersion" is required/],
    [{ prevResult: "x" }, /"prevResult" must be an object/],
  ];
  for (const [patch, message] of cases) {
    const out = parse(JSON.stringify({ ...base, ...patch }));
    assert.equal(out.code, 7, `${JSON.stringify(patch)} → ${JSON.stringify(out)}`);
    assert.match(out.msg, message);
  }
  assert.match(parse("[1]").msg, /must be a JSON object/);
});

Deno.test("config: null members read as absent, owner/group -1 keep the id, mtu 0 is unset", () => {
  const out = parse(`{"cniVersion":"1.0.0","name":"n","mtu":null,"owner":-1,"group":0,"mac":null}`);
  assert.equal(out.mtu, 0);
  assert.equal(parse(`{"cniVersion":"1.0.0","name":"n","mtu":0}`).mtu, 0);
  assert.equal(out.owner, -1);
  assert.equal(out.group, 0);
});

Deno.test("config: unknown versions are code 1; 0.1.0 to 1.1.0 are spoken", () => {
  for (const version of ["0.0.1", "9.9.9", "1.2.0", "1.0", "v1.0.0"]) {
    assert.equal(parse(JSON.stringify({ cniVersion: version, name: "n" })).versionError, 1, version);
  }
  for (const version of ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]) {
    assert.equal(parse(JSON.stringify({ cniVersion: version, name: "n" })).versionError, undefined, version);
  }
});

Deno.test("CNI_ARGS: Multus and podman forms, IgnoreUnknown, duplicates, bad pairs", () => {
  const multus = "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=vm-a;K8S_POD_INFRA_CONTAINER_ID=abc;" +
    "K8S_POD_UID=u-1;IgnoreUnknown=1;MAC=02:00:00:00:00:07;IP=10.1.1.5/24";
  assert.deepEqual(JSON.parse(cni.args(multus)), { mac: "02:00:00:00:00:07", ignoreUnknown: true });
  assert.deepEqual(JSON.parse(cni.args("IgnoreUnknown=1;K8S_POD_NAME=c;MAC=02:11:22:33:44:55;")), {
    mac: "02:11:22:33:44:55",
    ignoreUnknown: true,
  });
  assert.deepEqual(JSON.parse(cni.args("")), { mac: "", ignoreUnknown: false });
  const unknown = JSON.parse(cni.args("FOO=bar;MAC=02:00:00:00:00:01"));
  assert.equal(unknown.code, 4);
  assert.match(unknown.msg, /unknown CNI_ARGS keys \[FOO\]/);
  assert.match(JSON.parse(cni.args("IgnoreUnknown=1;broken")).msg, /invalid CNI_ARGS pair "broken"/);
  assert.match(JSON.parse(cni.args("IgnoreUnknown=1;a=b=c")).msg, /invalid CNI_ARGS pair "a=b=c"/);
});

Deno.test("env: the required-variable table per command", () => {
  const missing = (cmd: string, cid: string, netns: string, ifname: string, path: string) =>
    JSON.parse(cni.env(cmd, cid, netns, ifname, path));
  assert.equal(cni.env("ADD", "c1", "/run/netns/x", "net1", "/opt/cni/bin"), "ok");
  assert.deepEqual(missing("ADD", "", "", "", ""), {
    code: 4,
    msg: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing",
    details: "",
  });
  assert.equal(cni.env("DEL", "c1", "", "net1", "/opt/cni/bin"), "ok");
  assert.match(missing("CHECK", "c1", "", "net1", "/p").msg, /\[CNI_NETNS\]/);
  assert.equal(cni.env("VERSION", "", "", "", ""), "ok");
  assert.equal(cni.env("GC", "", "", "", "/p"), "ok");
  assert.match(missing("STATUS", "", "", "", "").msg, /\[CNI_PATH\]/);
  assert.equal(cni.env("BOGUS", "", "", "", ""), "unknown");
});

Deno.test("env: container ID and interface name rules are code 4", () => {
  const bad = (cid: string, ifname: string) => JSON.parse(cni.env("ADD", cid, "/n", ifname, "/p"));
  assert.match(bad("-abc", "net1").msg, /invalid CNI_CONTAINERID "-abc"/);
  assert.match(bad("a/b", "net1").msg, /invalid CNI_CONTAINERID/);
  assert.match(bad("c1", "a-very-long-ifname").msg, /1 to 15 bytes/);
  assert.match(bad("c1", "..").msg, /"\.\." are not interface names|not interface names/);
  for (const name of ["a/b", "a:b", "a b", "a\tb"]) assert.equal(bad("c1", name).code, 4, name);
  assert.equal(cni.env("ADD", "c1", "/n", "pod1234567890ab", "/p"), "ok");
});

Deno.test("MAC parsing: Go net.ParseMAC 48-bit forms, lower-case output", () => {
  assert.equal(cni.mac("02:AB:cd:00:00:01"), "02:ab:cd:00:00:01");
  assert.equal(cni.mac("02-ab-cd-00-00-01"), "02:ab:cd:00:00:01");
  assert.equal(cni.mac("02ab.cd00.0001"), "02:ab:cd:00:00:01");
  for (
    const bad of ["", "02:ab:cd:00:00", "02:ab:cd:00:00:01:02", "02:ab-cd:00:00:01", "0g:00:00:00:00:01"]
  ) {
    assert.match(cni.mac(bad), /^err:invalid MAC address/, bad);
  }
});

Deno.test("result: rendered per version, prevResult passed through", () => {
  const prev = JSON.stringify({
    cniVersion: "0.4.0",
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:aa", sandbox: "/run/netns/p" }],
    ips: [{ version: "4", address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    dns: { nameservers: ["10.0.0.53"] },
  });
  const v040 = JSON.parse(cni.result(prev, "0.4.0", "net1", "02:00:00:00:00:01", "/run/netns/p", 1400));
  assert.equal(v040.cniVersion, "0.4.0");
  assert.equal(v040.interfaces.length, 2);
  assert.deepEqual(v040.interfaces[1], { name: "net1", mac: "02:00:00:00:00:01", sandbox: "/run/netns/p" });
  assert.equal(v040.ips[0].version, "4");
  assert.deepEqual(v040.dns, { nameservers: ["10.0.0.53"] });

  const v100 = JSON.parse(cni.result(prev, "1.0.0", "net1", "02:00:00:00:00:01", "/run/netns/p", 1400));
  assert.equal(v100.ips[0].version, undefined);
  assert.equal(v100.interfaces[1].mtu, undefined);

  const v110 = JSON.parse(cni.result("null", "1.1.0", "net1", "02:00:00:00:00:01", "/run/netns/p", 1400));
  assert.deepEqual(v110, {
    cniVersion: "1.1.0",
    interfaces: [{ name: "net1", mac: "02:00:00:00:00:01", mtu: 1400, sandbox: "/run/netns/p" }],
  });
});

Deno.test("result: interfaces[].pciID (a hostdev NIC's PCI address) only from 1.1.0 on", () => {
  assert.equal(JSON.parse(cni.resultWithPciId("1.1.0", "0000:00:0a.0")).interfaces[0].pciID, "0000:00:0a.0");
  assert.equal(JSON.parse(cni.resultWithPciId("1.0.0", "0000:00:0a.0")).interfaces[0].pciID, undefined);
  assert.equal(JSON.parse(cni.resultWithPciId("1.1.0", "")).interfaces[0].pciID, undefined);
});

Deno.test("CIDR parsing: IPv4, IPv6 with ::, embedded IPv4, bad forms", () => {
  const h = cni;
  assert.equal(h.cidr("10.1.2.3/24"), "10.1.2.3/24");
  assert.equal(h.cidr("10.1.2.3"), "10.1.2.3/32");
  assert.equal(h.cidr("0.0.0.0/0"), "0.0.0.0/0");
  assert.equal(h.cidr("fd00::5/64"), "fd00:0:0:0:0:0:0:5/64");
  assert.equal(h.cidr("::/0"), "0:0:0:0:0:0:0:0/0");
  assert.equal(h.cidr("::1"), "0:0:0:0:0:0:0:1/128");
  assert.equal(h.cidr("2001:db8:1:2:3:4:5:6/128"), "2001:db8:1:2:3:4:5:6/128");
  assert.equal(h.cidr("::ffff:10.0.0.1"), "0:0:0:0:0:ffff:a00:1/128");
  for (
    const bad of [
      "",
      "10.1.2",
      "10.1.2.256",
      "10.01.2.3",
      "10.1.2.3/33",
      "10.1.2.3/",
      "fd00::5/129",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "g::1",
      "::/-1",
    ]
  ) {
    assert.match(h.cidr(bad), /^err:invalid/, bad);
  }
});

Deno.test("CIDR network: host bits cleared as Go's net.ParseCIDR does (route dst)", () => {
  const cases: [string, string][] = [
    ["192.168.10.7/24", "192.168.10.0/24"],
    ["192.168.10.7/21", "192.168.8.0/21"],
    ["10.255.255.255/1", "0.0.0.0/1"],
    ["10.1.2.3/32", "10.1.2.3/32"],
    ["10.1.2.3/0", "0.0.0.0/0"],
    ["fd00:72::9/48", "fd00:72:0:0:0:0:0:0/48"],
    ["fd00:72:ffff:ffff::1/61", "fd00:72:ffff:fff8:0:0:0:0/61"],
    ["::1/128", "0:0:0:0:0:0:0:1/128"],
  ];
  for (const [text, network] of cases) assert.equal(cni.network(text), network, text);
});
