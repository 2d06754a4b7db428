import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type ContainerAllocateRequest,
  type ContainerAllocateResponse,
  type ContainerPreferredAllocationRequest,
  type Device,
  type DevicePluginBackend,
  PluginRequestError,
} from "./api_types.ts";
import { PluginManager } from "./plugin_manager.ts";
import { PluginServer } from "./plugin_server.ts";
import { SocketBinder } from "./socket_binder.ts";
import { KubeletDouble } from "../testing/kubelet_double.ts";
import { dropListAndWatchStream } from "../testing/python_stream_dropper.ts";
import { silentLogger } from "../log.ts";
import { waitFor } from "../../testing/wait.ts";

/** A backend with a settable device list: the machinery must not care what the devices are. */
class ListBackend implements DevicePluginBackend {
  listeners = new Set<() => void>();
  constructor(readonly resourceName: string, readonly socketName: string, public list: Device[]) {}
  devices(): Device[] {
    return this.list;
  }
  set(list: Device[]): void {
    this.list = list;
    for (const listener of this.listeners) listener();
  }
  onDevicesChanged(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { [Symbol.dispose]: () => void this.listeners.delete(listener) };
  }
  allocate(requests: ContainerAllocateRequest[]): Promise<ContainerAllocateResponse[]> {
    const ids = requests.flatMap((request) => request.devices_ids);
    if (ids.includes("bad")) return Promise.reject(new PluginRequestError("NOT_FOUND", "unknown device bad"));
    if (ids.includes("boom")) return Promise.reject(new Error("boom"));
    return Promise.resolve(requests.map((request) => ({
      envs: {},
      mounts: [],
      devices: request.devices_ids.map((id) => ({
        container_path: `/dev/${id}`,
        host_path: `/dev/${id}`,
        permissions: "rw",
      })),
      annotations: {},
      cdi_devices: [],
    })));
  }
  preferredAllocation(request: ContainerPreferredAllocationRequest) {
    return { deviceIDs: request.available_deviceIDs.slice(0, request.allocation_size) };
  }
}

const RESOURCE = "example.com/thing";
const A: Device = { ID: "a", health: "Healthy", topology: null };
const B: Device = { ID: "b", health: "Unhealthy", topology: { nodes: [{ ID: 1 }] } };

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "mvt-dp-" });
  const kubelet = await KubeletDouble.start(dir);
  const manager = new PluginManager({
    pluginDir: dir,
    log: silentLogger,
    socketCheckIntervalMs: 100,
    minRestartIntervalMs: 10,
  });
  manager.start();
  const backend = new ListBackend(RESOURCE, "example.com_thing", [A]);
  manager.add(backend);
  await kubelet.waitForRegistration(RESOURCE);
  return {
    dir,
    kubelet,
    manager,
    backend,
    async [Symbol.asyncDispose]() {
      await manager[Symbol.asyncDispose]();
      await kubelet[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("PluginManager serves, then registers, and streams the device list", async () => {
  await using t = await setup();
  assert.deepEqual(t.kubelet.registrations[0], {
    version: "v1beta1",
    endpoint: "example.com_thing",
    resource_name: RESOURCE,
    options: { pre_start_required: false, get_preferred_allocation_available: true },
  });
  assert.deepEqual(t.kubelet.plugin(RESOURCE)?.options, {
    pre_start_required: false,
    get_preferred_allocation_available: true,
  });
  await t.kubelet.waitForDevices(RESOURCE, "first list", (d) => d.length === 1);
  t.backend.set([A, B]);
  const devices = await t.kubelet.waitForDevices(RESOURCE, "second list", (d) => d.length === 2);
  assert.deepEqual(devices, [A, B]);
  assert.equal((await Deno.lstat(`${t.dir}/example.com_thing`)).isSocket, true);
  // The kubelet dials back and streams devices while Register is still in flight, so the device lists above
  // can arrive before the runner has seen Register's answer: wait for the runner, not just the kubelet.
  await t.kubelet.waitUntil("the runner reports registered", () => t.manager.status().get(RESOURCE) === true);
  assert.equal(t.manager.status().get(RESOURCE), true);
});

Deno.test("PluginManager answers Allocate, GetPreferredAllocation and PreStartContainer", async () => {
  await using t = await setup();
  const response = await t.kubelet.allocate(RESOURCE, ["a"], ["b"]);
  assert.deepEqual(response.container_responses.map((r) => r.devices[0]!.host_path), ["/dev/a", "/dev/b"]);
  const preferred = await t.kubelet.preferred(RESOURCE, {
    available_deviceIDs: ["a", "b"],
    must_include_deviceIDs: [],
    allocation_size: 1,
  });
  assert.deepEqual(preferred.container_responses, [{ deviceIDs: ["a"] }]);
  assert.deepEqual(await t.kubelet.preStart(RESOURCE, ["a"]), {});
});

Deno.test("PluginManager maps backend errors to gRPC statuses", async () => {
  await using t = await setup();
  await assert.rejects(t.kubelet.allocate(RESOURCE, ["bad"]), (e: grpc.ServiceError) => {
    assert.equal(e.code, grpc.status.NOT_FOUND);
    assert.match(e.details, /unknown device bad/);
    return true;
  });
  await assert.rejects(
    t.kubelet.allocate(RESOURCE, ["boom"]),
    (e: grpc.ServiceError) => e.code === grpc.status.INTERNAL,
  );
});

Deno.test("PluginManager registers again after a kubelet restart, with a fresh stream", async () => {
  await using t = await setup();
  await t.kubelet.restart();
  await t.kubelet.waitForRegistration(RESOURCE, 2);
  await t.kubelet.waitForDevices(RESOURCE, "list on the new stream", (d) => d.length === 1);
  // The old stream's subscription is gone: one stream, one listener.
  await t.kubelet.waitUntil("one listener", () => t.backend.listeners.size === 1);
  // The stream drop and the kubelet.sock event are one restart, not two (a second one would cut the
  // kubelet's dial-back of the first): nothing more happens past the runner's restart spacing.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(t.kubelet.registrations.length, 2);
});

Deno.test("PluginManager ignores a ListAndWatch client that is not the kubelet ending its stream", async () => {
  await using t = await setup();
  await t.kubelet.waitForDevices(RESOURCE, "first list", (d) => d.length === 1);
  await dropListAndWatchStream(`${t.dir}/example.com_thing`);
  // The dropped stream released its subscription; the kubelet's stream is untouched and still served.
  await t.kubelet.waitUntil("one listener", () => t.backend.listeners.size === 1);
  await new Promise((resolve) => setTimeout(resolve, 300)); // beyond the runner's 10 ms restart spacing
  assert.equal(t.kubelet.registrations.length, 1, "no re-registration");
  assert.equal(t.kubelet.plugin(RESOURCE)?.streamEnded, null, "the kubelet's stream still runs");
  t.backend.set([A, B]);
  await t.kubelet.waitForDevices(RESOURCE, "update on the kubelet's stream", (d) => d.length === 2);
  assert.equal(t.manager.status().get(RESOURCE), true);
});

Deno.test("PluginServer: the first stream after Register is the kubelet's; only its end counts as lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-dp-" });
  const lost: string[] = [];
  const backend = new ListBackend(RESOURCE, "example.com_thing", [A]);
  const server = await PluginServer.start(
    backend,
    new SocketBinder(dir),
    silentLogger,
    () => lost.push("lost"),
  );
  try {
    await dropListAndWatchStream(server.path); // before Register: a stray client
    assert.deepEqual(lost, []);
    server.expectKubelet();
    await dropListAndWatchStream(server.path); // the "kubelet" (first after Register) goes away
    await waitFor("the kubelet's stream to count as lost", () => lost.length === 1, {
      timeoutMs: 5000,
      everyMs: 10,
    });
    await dropListAndWatchStream(server.path); // another client after it
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(lost, ["lost"]);
    assert.equal(backend.listeners.size, 0, "every dropped stream released its subscription");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PluginManager registers again when its socket is deleted behind its back", async () => {
  await using t = await setup();
  await Deno.remove(`${t.dir}/example.com_thing`);
  await t.kubelet.waitForRegistration(RESOURCE, 2);
});

Deno.test("PluginManager.remove() ends the stream, stops the server and deletes the socket", async () => {
  await using t = await setup();
  await t.manager.remove("example.com_thing");
  await t.kubelet.waitUntil("stream end", () => t.kubelet.plugin(RESOURCE)?.streamEnded !== null);
  await assert.rejects(Deno.lstat(`${t.dir}/example.com_thing`), Deno.errors.NotFound);
  assert.equal(t.backend.listeners.size, 0);
  assert.equal(t.kubelet.registrations.length, 1, "a removed resource does not re-register");
});

Deno.test("PluginManager keeps retrying until a kubelet appears", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mvt-dp-" });
  try {
    await using manager = new PluginManager({ pluginDir: dir, log: silentLogger, retryDelaysMs: [60_000] });
    manager.start();
    manager.add(new ListBackend(RESOURCE, "example.com_thing", [A]));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the first Register fails: no kubelet.sock
    assert.equal(manager.status().get(RESOURCE), false);
    // The kubelet starts: kubelet.sock appears and cuts the 60 s retry delay short.
    await using kubelet = await KubeletDouble.start(dir);
    await kubelet.waitForRegistration(RESOURCE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PluginManager.allRegistered() is false until every resource is registered", async () => {
  await using t = await setup();
  await t.kubelet.waitUntil("registered", () => t.manager.status().get(RESOURCE) === true);
  assert.equal(t.manager.allRegistered(), true);
  const other = new ListBackend("example.com/other", "example.com_other", [A]);
  t.manager.add(other);
  assert.equal(t.manager.allRegistered(), false, "a resource just added is not registered yet");
  await t.kubelet.waitForRegistration("example.com/other");
  await t.kubelet.waitUntil("both registered", () => t.manager.allRegistered());
});

Deno.test("PluginManager tells its listeners when kubelet.sock is created", async () => {
  await using t = await setup();
  let restarts = 0;
  using _listening = t.manager.onKubeletRestarted(() => restarts++);
  await t.kubelet.restart();
  await t.kubelet.waitUntil("listener called", () => restarts >= 1);
});
