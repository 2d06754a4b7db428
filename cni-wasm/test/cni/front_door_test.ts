// The front door's answers at its input edges: CNI_IFNAME shapes the kernel would rewrite, DEL of a name
// nothing of ours can have, "mtu": 0, cniVersion 0.1.0/0.2.0 (VERSION, ADD, DEL, their result shape) and
// stdin over the limit. Runs the dispatcher in V8 with verb handlers that touch nothing
// (test/modules/dispatch.ts); the built plugin's own answers are in integration/front_door_edges_test.ts.
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { envText, VALID_ENV } from "../fuzz/_inputs.ts";

interface DispatchModule {
  run(envLines: string, stdin: string): string;
  runOverLimit(envLines: string): string;
  stderrOf(envLines: string, stdin: string): string;
}

interface CniModule {
  convertResult(doc: string, version: string): string;
  normalized(doc: string): string;
}

const dispatcher = await loadModule<DispatchModule>("dispatch");
const cni = await loadModule<CniModule>("cni");

interface Answer {
  exit: number;
  // deno-lint-ignore no-explicit-any
  json: any;
}

const CONFIG = { cniVersion: "1.1.0", name: "n", type: "macvtap", deviceID: "eth0Mvp3" };

function call(command: string, config: Record<string, unknown>, env: Record<string, string> = {}): Answer {
  const answer = dispatcher.run(
    envText({ ...VALID_ENV, CNI_COMMAND: command, ...env }),
    JSON.stringify(config),
  );
  const newline = answer.indexOf("\n");
  const stdout = answer.slice(newline + 1);
  return { exit: Number(answer.slice(0, newline)), json: stdout === "" ? null : JSON.parse(stdout) };
}

/** Names the kernel or the spec refuses, each with what the message must say. */
const BAD_IFNAMES: [string, RegExp][] = [
  ["net%d", /'%'.*name pattern/],
  ["%", /'%'/],
  ["pod%s1", /'%'/],
  ["a/b", /'\/', ':' or whitespace/],
  ["a:b", /'\/', ':' or whitespace/],
  ["a b", /whitespace/],
  ["a\tb", /whitespace/],
  ["a\u00a0b", /whitespace/],
  ["a\u0085b", /whitespace/],
  ["a\u2003b", /whitespace/],
  ["a\u3000b", /whitespace/],
  [".", /"\." and "\.\." are not interface names/],
  ["..", /are not interface names/],
  ["sixteen-bytes-xx", /1 to 15 bytes long, is 16/],
  ["\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", /1 to 15 bytes long, is 16/],
];

Deno.test("CNI_IFNAME: ADD and CHECK refuse names the kernel rewrites or the spec forbids with code 4", () => {
  for (const [ifname, message] of BAD_IFNAMES) {
    for (const command of ["ADD", "CHECK"]) {
      const answer = call(command, CONFIG, { CNI_IFNAME: ifname });
      assert.equal(answer.exit, 1, `${command} ${JSON.stringify(ifname)}`);
      assert.equal(
        answer.json.code,
        4,
        `${command} ${JSON.stringify(ifname)}: ${JSON.stringify(answer.json)}`,
      );
      assert.match(answer.json.msg, message, JSON.stringify(ifname));
      assert.ok(answer.json.msg.includes(`"${ifname}"`), "the message names the value");
    }
  }
  for (
    const ifname of [
      "net1",
      "pod1234567890ab",
      "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
      "eth0.100",
      "a-b_c",
    ]
  ) {
    assert.equal(call("ADD", CONFIG, { CNI_IFNAME: ifname }).exit, 0, ifname);
  }
});

Deno.test("CNI_IFNAME: DEL of a name ADD refuses succeeds without reaching the handler, and says why", () => {
  for (const [ifname] of BAD_IFNAMES) {
    const answer = call("DEL", CONFIG, { CNI_IFNAME: ifname });
    assert.deepEqual(answer, { exit: 0, json: null }, `DEL ${JSON.stringify(ifname)}`);
  }
  const env = envText({ ...VALID_ENV, CNI_COMMAND: "DEL", CNI_IFNAME: "net%d" });
  assert.match(
    dispatcher.stderrOf(env, JSON.stringify(CONFIG)),
    /^0\nmacvtap: DEL has nothing to do: .*"net%d"/,
  );
  // A good name reaches the handler; the name is still required, and a broken config still is an error.
  assert.equal(call("DEL", CONFIG).json.handled, "DEL");
  assert.equal(call("DEL", CONFIG, { CNI_IFNAME: "" }).json.code, 4);
  assert.equal(call("DEL", { ...CONFIG, mtu: 70000 }, { CNI_IFNAME: "net%d" }).json.code, 7);
});

Deno.test('config: "mtu": 0 is "not set" for ADD and DEL, as in kubevirt/macvtap-cni', () => {
  const add = call("ADD", { ...CONFIG, mtu: 0 });
  assert.equal(add.exit, 0, JSON.stringify(add.json));
  assert.equal(add.json.mtu, 0);
  assert.equal(call("DEL", { ...CONFIG, mtu: 0 }).json.handled, "DEL");
  for (const mtu of [-1, 1, 67, 65536]) {
    assert.match(
      call("ADD", { ...CONFIG, mtu }).json.msg,
      /"mtu" must be between 68 and 65535/,
      `mtu ${mtu}`,
    );
  }
});

Deno.test("cniVersion 0.1.0/0.2.0: VERSION lists them, DEL runs, ADD needs IPAM (code 1 without)", () => {
  const version = call("VERSION", { cniVersion: "0.2.0" });
  assert.deepEqual(version.json, {
    cniVersion: "0.2.0",
    supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  });
  for (const cniVersion of ["0.1.0", "0.2.0"]) {
    const config = { ...CONFIG, cniVersion };
    assert.equal(call("DEL", config).json.handled, "DEL", cniVersion);
    const bare = call("ADD", config);
    assert.equal(bare.json.code, 1, JSON.stringify(bare.json));
    assert.equal(bare.json.cniVersion, cniVersion);
    assert.match(bare.json.msg, /must carry an IP address.*no "ipam"/);
    assert.equal(call("ADD", { ...config, ipam: { type: "host-local" } }).exit, 0, cniVersion);
    assert.equal(call("CHECK", config).json.code, 1, "CHECK starts at 0.4.0");
  }
  assert.equal(call("ADD", { ...CONFIG, cniVersion: "0.0.9" }).json.code, 1);
});

Deno.test("0.1.0/0.2.0 results: an IPAM result in ip4/ip6 form is understood, a result rendered in it", () => {
  const legacy = {
    cniVersion: "0.2.0",
    ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0" }] },
    ip6: { ip: "fd00::3/64", routes: [{ dst: "fd01::/64", gw: "fd00::1" }] },
    dns: { nameservers: ["10.1.2.53"] },
  };
  assert.deepEqual(JSON.parse(cni.normalized(JSON.stringify(legacy))), {
    dns: { nameservers: ["10.1.2.53"] },
    ips: [{ address: "10.1.2.3/24", gateway: "10.1.2.1" }, { address: "fd00::3/64" }],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "fd01::/64", gw: "fd00::1" }],
  });
  const current = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "net1", mac: "02:00:00:00:00:01", sandbox: "/run/netns/p" }],
    ips: [
      { address: "10.1.2.3/24", gateway: "10.1.2.1", interface: 0 },
      { address: "10.1.2.4/24", interface: 0 },
      { address: "fd00::3/64", interface: 0 },
    ],
    routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1", mtu: 1400, priority: 5 }, { dst: "fd01::/64" }],
  };
  // libcni's convertTo02x: the first address per family, routes by their dst's family, dns always.
  assert.deepEqual(JSON.parse(cni.convertResult(JSON.stringify(current), "0.2.0")), {
    cniVersion: "0.2.0",
    ip4: { ip: "10.1.2.3/24", gateway: "10.1.2.1", routes: [{ dst: "0.0.0.0/0", gw: "10.1.2.1" }] },
    ip6: { ip: "fd00::3/64", routes: [{ dst: "fd01::/64" }] },
    dns: {},
  });
  const v4only = { ips: [{ address: "10.1.2.3/24" }], routes: [{ dst: "fd01::/64" }], dns: { domain: "d" } };
  assert.deepEqual(JSON.parse(cni.convertResult(JSON.stringify(v4only), "0.1.0")), {
    cniVersion: "0.1.0",
    ip4: { ip: "10.1.2.3/24" },
    dns: { domain: "d" },
  });
});

Deno.test("stdin over the limit: code 6 naming the limit, for every verb but VERSION", () => {
  for (const command of ["ADD", "DEL", "CHECK"]) {
    const answer = dispatcher.runOverLimit(envText({ ...VALID_ENV, CNI_COMMAND: command }));
    assert.match(answer, /^1\n/, command);
    const error = JSON.parse(answer.slice(2));
    assert.equal(error.code, 6, command);
    assert.match(error.msg, /larger than the limit of 4194304 bytes \(4 MiB\)/);
  }
  assert.match(dispatcher.runOverLimit(envText({ CNI_COMMAND: "VERSION" })), /^0\n.*supportedVersions/);
  // A missing variable is still reported first, as libcni's skel does.
  assert.match(dispatcher.runOverLimit(envText({ CNI_COMMAND: "ADD" })), /"code": 4/);
});
