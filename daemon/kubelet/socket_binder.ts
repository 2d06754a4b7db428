/**
 * Listens on plugin sockets whose names are only known at run time, under a net permission for ONE path.
 *
 * Deno's `--allow-net=unix:<path>` grants exact paths only, while resources (and their sockets
 * `macvtap.network.kubevirt.io_<name>`) come and go with the config and with auto-discovery. So every
 * server binds the one permitted path `<dir>/.macvtap.network.kubevirt.io.bind` and the socket file is then
 * renamed to its real name: a bound unix socket keeps accepting under its new name, and rename needs only
 * write access to the directory. Binds are serialised so two servers never race for the bind path.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { ServerCredentials } from "@grpc/grpc-js";
import { unixTarget } from "./api.ts";
import { BIND_SOCKET_NAME } from "./api_types.ts";

export { BIND_SOCKET_NAME };

/** `sun_path` is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Binds servers at the bind path of one directory and moves their sockets into place. */
export class SocketBinder {
  /** The path the daemon needs `--allow-net=unix:` for. */
  readonly bindPath: string;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param dir the device-plugins directory */
  constructor(readonly dir: string) {
    this.bindPath = `${dir}/${BIND_SOCKET_NAME}`;
  }

  /**
   * Makes `server` listen on `<dir>/<socketName>`, replacing a stale socket of that name.
   *
   * Requires `--allow-net=unix:<bindPath>`, `--allow-read` and `--allow-write` on the directory.
   */
  bind(server: grpc.Server, socketName: string): Promise<string> {
    const path = `${this.dir}/${socketName}`;
    if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH_BYTES) {
      return Promise.reject(
        new Error(`Cannot serve on "${path}": longer than ${MAX_SOCKET_PATH_BYTES} bytes`),
      );
    }
    const done = this.#queue.then(() => this.#bind(server, path));
    this.#queue = done.catch(() => {});
    return done;
  }

  async #bind(server: grpc.Server, path: string): Promise<string> {
    await removeIfPresent(this.bindPath);
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(unixTarget(this.bindPath), ServerCredentials.createInsecure(), (error) => {
        if (error) reject(new Error(`Cannot listen on "${this.bindPath}": ${error.message}`));
        else resolve();
      });
    });
    // rename(2) replaces a stale socket left at `path` atomically.
    await Deno.rename(this.bindPath, path);
    return path;
  }
}

/** Deletes a file, treating "not there" as done (but not a permission error, which must surface). */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
