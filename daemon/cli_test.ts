import assert from "node:assert/strict";
import { DEFAULT_BROKER, parseCli, parseDuration } from "./cli.ts";

Deno.test("parseCli() defaults match the kubelet's paths", () => {
  const options = parseCli([]);
  assert.equal(options.pluginDir, "/var/lib/kubelet/device-plugins");
  assert.equal(options.podResourcesSocket, "/var/lib/kubelet/pod-resources/kubelet.sock");
  assert.equal(options.configFile, null);
  assert.equal(options.metricsAddress, null);
  assert.equal(options.broker, DEFAULT_BROKER);
  assert.equal(options.gcIntervalMs, 60_000);
  assert.equal(options.gcGraceMs, 120_000);
});

Deno.test("parseCli() reads every flag", () => {
  const options = parseCli([
    "--config=/etc/macvtap-device-plugin/config.json",
    "--plugin-dir",
    "/tmp/dp/",
    "--pod-resources-socket",
    "/tmp/pr.sock",
    "--metrics",
    "127.0.0.1:9120",
    "--broker",
    "/opt/broker",
    "--gc-interval",
    "0",
    "--gc-grace",
    "500ms",
    "--log-level",
    "debug",
  ]);
  assert.deepEqual(options, {
    help: false,
    version: false,
    configFile: "/etc/macvtap-device-plugin/config.json",
    pluginDir: "/tmp/dp",
    podResourcesSocket: "/tmp/pr.sock",
    metricsAddress: { hostname: "127.0.0.1", port: 9120 },
    broker: "/opt/broker",
    gcIntervalMs: 0,
    gcGraceMs: 500,
    logLevel: "debug",
  });
});

Deno.test("parseCli() reads --help and --version", () => {
  assert.equal(parseCli(["--help"]).help, true);
  assert.equal(parseCli(["--version"]).version, true);
  assert.equal(parseCli([]).version, false);
});

Deno.test("parseCli() rejects unknown flags, arguments and bad values", () => {
  assert.throws(() => parseCli(["--nope"]), /nope/);
  assert.throws(() => parseCli(["extra"]), /takes only options/);
  assert.throws(() => parseCli(["--log-level", "loud"]), /--log-level "loud"/);
  assert.throws(() => parseCli(["--metrics", "9120"]), /HOST:PORT/);
  assert.throws(() => parseCli(["--gc-grace", "soon"]), /--gc-grace "soon"/);
});

Deno.test("parseDuration() reads ms, s, m and bare seconds", () => {
  assert.equal(parseDuration("250ms", "x"), 250);
  assert.equal(parseDuration("1.5s", "x"), 1500);
  assert.equal(parseDuration("2m", "x"), 120_000);
  assert.equal(parseDuration("3", "x"), 3000);
});
