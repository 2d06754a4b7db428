/**
 * TEST DOUBLE of the kubelet's device manager: a real `v1beta1.Registration` server on `<dir>/kubelet.sock`
 * that behaves like the kubelet on Register (checks the version and resource name, dials the plugin back
 * within 10 s, asks GetDevicePluginOptions, opens ListAndWatch and keeps every list it receives), plus a
 * client for Allocate / GetPreferredAllocation / PreStartContainer. {@link restart} simulates a kubelet
 * restart the way the kubelet does it: drop all plugin connections, delete every socket in the directory,
 * create kubelet.sock anew.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { clientMethod, kubeletApi, unixTarget } from "../kubelet/api.ts";
import {
  type AllocateResponse,
  API_VERSION,
  type ContainerPreferredAllocationRequest,
  type Device,
  type DevicePluginOptions,
  KUBELET_SOCKET_NAME,
  type ListAndWatchResponse,
  type PreferredAllocationResponse,
  type RegisterRequest,
} from "../kubelet/api_types.ts";

/** The double's side of one registered plugin. */
export interface PluginConnection {
  request: RegisterRequest;
  options: DevicePluginOptions;
  client: grpc.Client & Record<string, CallableFunction>;
  /** Every list received on ListAndWatch, oldest first. */
  updates: Device[][];
  /** Set when the stream ended (error or end). */
  streamEnded: string | null;
  stream: grpc.ClientReadableStream<ListAndWatchResponse>;
}

const DIAL_BACK_TIMEOUT_MS = 10_000;

/** A fake kubelet for one device-plugins directory. */
export class KubeletDouble implements AsyncDisposable {
  /** Every Register request accepted, oldest first. */
  readonly registrations: RegisterRequest[] = [];
  /** Register requests refused, with the reason. */
  readonly refusals: string[] = [];
  #plugins = new Map<string, PluginConnection>();
  #server: grpc.Server | null = null;
  #waiters = new Set<() => void>();

  private constructor(readonly dir: string) {}

  /** Serves Registration on `<dir>/kubelet.sock`. */
  static async start(dir: string): Promise<KubeletDouble> {
    const kubelet = new KubeletDouble(dir);
    await kubelet.#serve();
    return kubelet;
  }

  /** The current connection of a resource, if registered. */
  plugin(resourceName: string): PluginConnection | undefined {
    return this.#plugins.get(resourceName);
  }

  /** The last device list of a resource. */
  devices(resourceName: string): Device[] | undefined {
    return this.#plugins.get(resourceName)?.updates.at(-1);
  }

  /**
   * Waits until `predicate` holds, re-checking after every registration and ListAndWatch update (and every
   * 20 ms, for conditions outside the double).
   */
  waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => predicate() && finish();
      const timer = setTimeout(
        () => finish(new Error(`kubelet double: gave up waiting ${timeoutMs} ms for ${what}`)),
        timeoutMs,
      );
      const poll = setInterval(check, 20);
      this.#waiters.add(check);
    });
  }

  /** Waits for the `count`-th registration of a resource. */
  waitForRegistration(resourceName: string, count = 1): Promise<void> {
    return this.waitUntil(
      `registration #${count} of ${resourceName}`,
      () => this.registrations.filter((r) => r.resource_name === resourceName).length >= count,
    );
  }

  /** Waits until the last device list of a resource satisfies `predicate`, and returns it. */
  async waitForDevices(
    resourceName: string,
    what: string,
    predicate: (devices: Device[]) => boolean,
  ): Promise<Device[]> {
    await this.waitUntil(`${resourceName}: ${what}`, () => {
      const devices = this.devices(resourceName);
      return devices !== undefined && predicate(devices);
    });
    return this.devices(resourceName)!;
  }

  /** Calls Allocate with one container request per element of `containers`. */
  allocate(resourceName: string, ...containers: string[][]): Promise<AllocateResponse> {
    const request = { container_requests: containers.map((devices_ids) => ({ devices_ids })) };
    return this.#unary(resourceName, "Allocate", request);
  }

  /** Calls GetPreferredAllocation for one container. */
  preferred(
    resourceName: string,
    request: ContainerPreferredAllocationRequest,
  ): Promise<PreferredAllocationResponse> {
    return this.#unary(resourceName, "GetPreferredAllocation", { container_requests: [request] });
  }

  /** Calls PreStartContainer. */
  preStart(resourceName: string, devices: string[]): Promise<object> {
    return this.#unary(resourceName, "PreStartContainer", { devices_ids: devices });
  }

  /** Simulates a kubelet restart (see the module doc). */
  async restart(): Promise<void> {
    await this.#shutdown();
    for await (const entry of Deno.readDir(this.dir)) {
      const path = `${this.dir}/${entry.name}`;
      // A plugin may be replacing its socket right now; a file gone before we get to it is fine.
      try {
        if ((await Deno.lstat(path)).isSocket) await Deno.remove(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    await this.#serve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#shutdown();
    await Deno.remove(`${this.dir}/${KUBELET_SOCKET_NAME}`).catch(() => {});
  }

  async #shutdown(): Promise<void> {
    for (const plugin of this.#plugins.values()) this.#disconnect(plugin);
    this.#plugins.clear();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  async #serve(): Promise<void> {
    const server = new grpc.Server();
    server.addService(kubeletApi().registration, {
      Register: (
        call: grpc.ServerUnaryCall<RegisterRequest, object>,
        callback: grpc.sendUnaryData<object>,
      ) => {
        this.#register(call.request).then(() => callback(null, {}), (error: Error) => {
          this.refusals.push(error.message);
          callback({ code: grpc.status.UNKNOWN, details: error.message });
        });
      },
    });
    const socket = `${this.dir}/${KUBELET_SOCKET_NAME}`;
    await Deno.remove(socket).catch(() => {});
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        unixTarget(socket),
        grpc.ServerCredentials.createInsecure(),
        (e) => e ? reject(e) : resolve(),
      );
    });
    this.#server = server;
  }

  /** What the kubelet's device manager does on Register. */
  async #register(request: RegisterRequest): Promise<void> {
    if (request.version !== API_VERSION) {
      throw new Error(`requested API version "${request.version}" is not supported`);
    }
    if (!/^[a-z0-9.-]+\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(request.resource_name)) {
      throw new Error(`invalid extended resource name "${request.resource_name}"`);
    }
    const { DevicePluginClient } = kubeletApi();
    // A connection of its own per registration, as the kubelet dials each plugin separately.
    const client = new DevicePluginClient(
      unixTarget(`${this.dir}/${request.endpoint}`),
      grpc.credentials.createInsecure(),
      { "grpc.use_local_subchannel_pool": 1 },
    );
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + DIAL_BACK_TIMEOUT_MS, (error) => {
        if (error) reject(new Error(`failed to dial device plugin: ${error.message}`));
        else resolve();
      });
    });
    const typed = client as PluginConnection["client"];
    const options = await callUnary<DevicePluginOptions>(typed, "GetDevicePluginOptions", {});
    const old = this.#plugins.get(request.resource_name);
    if (old) this.#disconnect(old);
    const stream = clientMethod(typed, "ListAndWatch")({}) as grpc.ClientReadableStream<ListAndWatchResponse>;
    const plugin: PluginConnection = {
      request,
      options,
      client: typed,
      updates: [],
      streamEnded: null,
      stream,
    };
    stream.on("data", (response: ListAndWatchResponse) => {
      plugin.updates.push(response.devices);
      this.#notify();
    });
    stream.on("error", (error: Error) => this.#streamEnded(plugin, error.message));
    stream.on("end", () => this.#streamEnded(plugin, "end"));
    this.#plugins.set(request.resource_name, plugin);
    this.registrations.push(request);
    this.#notify();
  }

  #streamEnded(plugin: PluginConnection, why: string): void {
    plugin.streamEnded ??= why;
    this.#notify();
  }

  #disconnect(plugin: PluginConnection): void {
    plugin.stream.cancel();
    plugin.client.close();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #unary<T>(resourceName: string, method: string, request: object): Promise<T> {
    const plugin = this.#plugins.get(resourceName);
    if (!plugin) return Promise.reject(new Error(`kubelet double: ${resourceName} is not registered`));
    return callUnary<T>(plugin.client, method, request);
  }
}

/** Calls a unary method; rejects with the grpc ServiceError (its `code` is the status). */
export function callUnary<T>(
  client: PluginConnection["client"],
  method: string,
  request: object,
): Promise<T> {
  return new Promise((resolve, reject) => {
    clientMethod(client, method)(
      request,
      (error: grpc.ServiceError | null, response: T) => error ? reject(error) : resolve(response),
    );
  });
}
