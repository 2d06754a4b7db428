/**
 * Register with the kubelet: the plugin must already be serving, because the kubelet dials it back and
 * asks GetDevicePluginOptions before it answers.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { clientMethod, kubeletApi, unixTarget } from "./api.ts";
import { API_VERSION, KUBELET_SOCKET_NAME, type RegisterRequest } from "./api_types.ts";
import { PLUGIN_OPTIONS } from "./device_plugin_service.ts";

/**
 * Longer than the kubelet's own 10 s dial-back timeout, so a slow kubelet fails on its side with a reason
 * rather than on ours without one.
 */
export const REGISTER_TIMEOUT_MS = 20_000;

/** The kubelet's Registration socket cannot be reached (absent, or nobody listening: gRPC UNAVAILABLE). */
export class KubeletUnreachableError extends Error {
  override name = "KubeletUnreachableError";
}

/**
 * Sends RegisterRequest for `resourceName` served at `<pluginDir>/<endpoint>`.
 *
 * Requires `--allow-net=unix:<pluginDir>/kubelet.sock` plus read and write on that path.
 *
 * @param signal aborting it cancels the call (the attempt is known to be doomed)
 * @throws {KubeletUnreachableError} when nothing answers on kubelet.sock
 * @throws Error with the kubelet's reason when it refuses
 */
export async function registerWithKubelet(
  pluginDir: string,
  endpoint: string,
  resourceName: string,
  timeoutMs = REGISTER_TIMEOUT_MS,
  signal?: AbortSignal,
): Promise<void> {
  const { RegistrationClient } = kubeletApi();
  const kubeletSocket = `${pluginDir}/${KUBELET_SOCKET_NAME}`;
  const client = new RegistrationClient(unixTarget(kubeletSocket), grpc.credentials.createInsecure());
  const request: RegisterRequest = {
    version: API_VERSION,
    endpoint,
    resource_name: resourceName,
    options: PLUGIN_OPTIONS,
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const call = clientMethod(client, "Register")(
        request,
        { deadline: Date.now() + timeoutMs },
        (error: grpc.ServiceError | null) => {
          if (error) {
            const message = `Cannot register ${resourceName} with the kubelet at "${kubeletSocket}": ${
              error.details || error.message
            }`;
            const unreachable = error.code === grpc.status.UNAVAILABLE;
            reject(unreachable ? new KubeletUnreachableError(message) : new Error(message));
          } else resolve();
        },
      ) as grpc.ClientUnaryCall;
      signal?.addEventListener("abort", () => call.cancel(), { once: true });
    });
  } finally {
    client.close();
  }
}
