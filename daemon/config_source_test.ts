import assert from "node:assert/strict";
import { ConfigError, type DaemonConfig } from "./config.ts";
import { fixedConfig, WatchedConfigFile } from "./config_source.ts";
import { memoryLogger } from "./log.ts";

function nextConfig(source: WatchedConfigFile): Promise<DaemonConfig> {
  return new Promise((resolve) => {
    const subscription = source.onChange((config) => {
      subscription[Symbol.dispose]();
      resolve(config);
    });
  });
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mvt-config-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("fixedConfig() parses DP_MACVTAP_CONF once and refuses a bad one", () => {
  assert.equal(fixedConfig('[{"name":"eth0"}]', "DP_MACVTAP_CONF").current.resources[0]!.capacity, 100);
  assert.throws(() => fixedConfig('[{"name":"eth0","mode":"x"}]', "DP_MACVTAP_CONF"), ConfigError);
});

Deno.test("an old config with master: both sources log a warning and serve it, at start and on reload", async () => {
  const log = memoryLogger();
  const old = '[{"name":"eth0","master":"eth0","capacity":3}]';
  assert.equal(fixedConfig(old, "DP_MACVTAP_CONF", log).current.resources[0]!.capacity, 3);
  await using tmp = await tempDir();
  const path = `${tmp.path}/config.json`;
  await Deno.writeTextFile(path, old);
  using source = await WatchedConfigFile.open(path, { log, debounceMs: 20 });
  assert.equal(source.current.resources[0]!.capacity, 3);
  const changed = nextConfig(source);
  await Deno.writeTextFile(path, '[{"name":"eth0","master":"eth0","capacity":4}]');
  assert.equal((await changed).resources[0]!.capacity, 4);
  const warnings = log.records.filter((r) => r.level === "warn").map((r) => String(r.warning));
  assert.equal(warnings.length, 3, JSON.stringify(log.records));
  for (const warning of warnings) assert.match(warning, /Ignoring unknown key "master"/);
  assert.match(warnings[0]!, /in DP_MACVTAP_CONF entry 0/);
  assert.ok(warnings[1]!.includes(`in ${path} entry 0`));
});

Deno.test("WatchedConfigFile refuses to start on a missing or invalid file", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await assert.rejects(WatchedConfigFile.open(`${dir}/none.json`), /Cannot read config file/);
  await Deno.writeTextFile(`${dir}/bad.json`, "[{}]");
  await assert.rejects(WatchedConfigFile.open(`${dir}/bad.json`), ConfigError);
});

Deno.test("WatchedConfigFile reloads a rewritten file", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, '[{"name":"eth0"}]');
  using source = await WatchedConfigFile.open(path, { debounceMs: 20 });
  const changed = nextConfig(source);
  await Deno.writeTextFile(path, '[{"name":"eth0"},{"name":"eth1","capacity":5}]');
  assert.deepEqual((await changed).resources.map((r) => [r.name, r.capacity]), [["eth0", 100], ["eth1", 5]]);
  assert.equal(source.current.resources.length, 2);
});

Deno.test("WatchedConfigFile follows a ConfigMap-style symlink swap", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  // The kubelet's layout: file -> ..data/file, ..data -> ..<timestamp>; an update swaps ..data.
  await Deno.mkdir(`${dir}/..v1`);
  await Deno.writeTextFile(`${dir}/..v1/DP_MACVTAP_CONF`, '[{"name":"eth0"}]');
  await Deno.symlink("..v1", `${dir}/..data`);
  await Deno.symlink("..data/DP_MACVTAP_CONF", `${dir}/DP_MACVTAP_CONF`);
  using source = await WatchedConfigFile.open(`${dir}/DP_MACVTAP_CONF`, { debounceMs: 20 });
  const changed = nextConfig(source);
  await Deno.mkdir(`${dir}/..v2`);
  await Deno.writeTextFile(`${dir}/..v2/DP_MACVTAP_CONF`, "[]");
  await Deno.symlink("..v2", `${dir}/..data_tmp`);
  await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
  assert.equal((await changed).autoDiscover, true);
});

Deno.test("WatchedConfigFile keeps the last good config when a reload is invalid, and says why", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, '[{"name":"eth0"}]');
  const log = memoryLogger();
  const outcomes: boolean[] = [];
  using source = await WatchedConfigFile.open(path, {
    log,
    debounceMs: 60_000,
    pollMs: 60_000,
    onReload: (ok) => outcomes.push(ok),
  });
  let changes = 0;
  source.onChange(() => changes++);
  await Deno.writeTextFile(path, '[{"name":"eth0","mode":"bridged"}]');
  await source.reload();
  assert.equal(source.current.resources[0]!.mode, "bridge");
  const error = log.records.find((r) => r.msg === "invalid config file; keeping the last good config");
  assert.match(String((error?.error as { message: string }).message), /mode "bridged" is not one of/);
  await Deno.writeTextFile(path, '[{"name":"eth0","mode":"vepa"}]');
  await source.reload();
  assert.equal(source.current.resources[0]!.mode, "vepa");
  assert.equal(changes, 1);
  assert.deepEqual(outcomes, [false, true]);
});
