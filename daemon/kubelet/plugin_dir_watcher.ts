/**
 * Notices kubelet restarts: a restarting kubelet deletes every socket in the device-plugins directory and
 * creates `kubelet.sock` anew, so plugins must serve and register again. Watches the *directory* (inotify
 * through Deno.watchFs), because the socket file is replaced with a new inode.
 *
 * @module
 */
import { KUBELET_SOCKET_NAME } from "./api_types.ts";
import type { Logger } from "../log.ts";

/**
 * Calls `onKubeletSocket` whenever `<dir>/kubelet.sock` is created. If the directory does not exist yet
 * (kubelet not started), retries every `retryMs` until it does.
 *
 * Requires `--allow-read=<dir>`.
 *
 * @returns stop watching
 */
export function watchPluginDir(
  dir: string,
  onKubeletSocket: () => void,
  log: Logger,
  retryMs = 2000,
): Disposable {
  const kubeletSocket = `${dir}/${KUBELET_SOCKET_NAME}`;
  let watcher: Deno.FsWatcher | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const start = () => {
    try {
      watcher = Deno.watchFs(dir, { recursive: false });
    } catch (error) {
      log.warn("cannot watch the device-plugins directory yet; retrying", { dir, error, retryMs });
      retry = setTimeout(start, retryMs);
      return;
    }
    (async () => {
      for await (const event of watcher!) {
        if (event.kind === "create" && event.paths.includes(kubeletSocket)) {
          log.info("kubelet.sock created: the kubelet (re)started", { path: kubeletSocket });
          onKubeletSocket();
        }
      }
      if (!stopped) {
        log.warn("device-plugins directory watch ended; watching again", { dir });
        retry = setTimeout(start, retryMs);
      }
    })().catch((error) => log.error("device-plugins directory watch failed", { dir, error }));
  };
  start();
  return {
    [Symbol.dispose]: () => {
      stopped = true;
      clearTimeout(retry);
      watcher?.close();
    },
  };
}
