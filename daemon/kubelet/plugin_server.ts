/**
 * One gRPC server on one plugin socket, serving one backend; stopping it ends its ListAndWatch streams
 * (so the kubelet's old connection is cut) and removes the socket.
 *
 * Only the kubelet's own stream ending means the kubelet lost us. Anyone who can reach the socket can
 * open ListAndWatch (a second client, a debugging tool), and its stream ending must not restart the
 * resource: that would cut the kubelet's live stream, and the kubelet then marks every device unhealthy.
 * The kubelet's stream is told apart by timing: the kubelet dials a plugin only when it registers, and
 * opens its one ListAndWatch right after (devicemanager plugin/v1beta1 client `Run`), so the first stream
 * opened after the runner sends Register is the kubelet's.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { kubeletApi } from "./api.ts";
import type { DevicePluginBackend, ListAndWatchResponse } from "./api_types.ts";
import { devicePluginHandlers, type RpcObserver, type StreamTracker } from "./device_plugin_service.ts";
import { removeIfPresent, type SocketBinder } from "./socket_binder.ts";
import type { Logger } from "../log.ts";

type Stream = grpc.ServerWritableStream<unknown, ListAndWatchResponse>;

/** A running DevicePlugin server. */
export class PluginServer implements StreamTracker {
  #server = new grpc.Server({ "grpc.enable_channelz": 0 });
  #streams = new Set<Stream>();
  #stopping = false;
  #path: string | null = null;
  /** The kubelet's ListAndWatch stream, once it opened one. */
  #kubeletStream: Stream | null = null;
  #awaitingKubelet = false;

  private constructor(
    private onStreamLost: () => void,
  ) {}

  /**
   * Starts serving `backend` on `<binder.dir>/<backend.socketName>`.
   *
   * @param onStreamLost called when the kubelet ends its ListAndWatch stream while the server still runs
   */
  static async start(
    backend: DevicePluginBackend,
    binder: SocketBinder,
    log: Logger,
    onStreamLost: () => void,
    observer: RpcObserver = {},
  ): Promise<PluginServer> {
    const server = new PluginServer(onStreamLost);
    server.#server.addService(
      kubeletApi().devicePlugin,
      devicePluginHandlers(backend, server, log, observer),
    );
    try {
      server.#path = await binder.bind(server.#server, backend.socketName);
    } catch (error) {
      server.#server.forceShutdown();
      throw error;
    }
    return server;
  }

  /** The socket this server listens on. */
  get path(): string {
    return this.#path!;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Number of open ListAndWatch streams. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** The runner is about to send Register: the next stream opened is the kubelet's. */
  expectKubelet(): void {
    this.#awaitingKubelet = true;
  }

  opened(stream: Stream): boolean {
    this.#streams.add(stream);
    if (!this.#awaitingKubelet) return false;
    this.#awaitingKubelet = false;
    this.#kubeletStream = stream;
    return true;
  }

  closed(stream: Stream, byServer: boolean): void {
    this.#streams.delete(stream);
    if (stream !== this.#kubeletStream) return;
    this.#kubeletStream = null;
    if (!byServer && !this.#stopping) this.onStreamLost();
  }

  /** Ends every stream, stops the server and removes its socket. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const stream of [...this.#streams]) stream.end();
    this.#server.forceShutdown();
    if (this.#path) await removeIfPresent(this.#path);
  }
}
