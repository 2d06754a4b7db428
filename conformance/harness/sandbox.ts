/**
 * The world one conformance case runs in: a node netns prepared by the profile, pod netns created on
 * demand, attachments (container ID + ifname + pod + per-attachment config), and shorthands that exec the
 * plugin for a verb. Disposing the sandbox deletes the pods, then the node (the kernel removes every
 * virtual link inside, and with a macvtap its /dev/tapN), then the work dir.
 *
 * Requires root, `--allow-run` (ip, nsenter, the plugin), `--allow-read` and `--allow-write` (temp dir).
 *
 * @module
 */
import { TestNetns } from "../../testing/netns.ts";
import { cniPathOf, type NodeContext, type PluginProfile } from "./profile.ts";
import { execPlugin, type PluginRun } from "../../testing/plugin_exec.ts";

/** One (CNI_CONTAINERID, CNI_IFNAME) pair in a pod, plus the config keys the profile prepared for it. */
export interface Attachment {
  containerId: string;
  ifname: string;
  pod: TestNetns;
  config: Record<string, unknown>;
}

/** Choices for {@link Sandbox.attachment}; everything defaults to a fresh, prepared attachment. */
export interface AttachmentOptions {
  pod?: TestNetns;
  ifname?: string;
  containerId?: string;
  /** Let the profile prepare the node for it (default true). */
  prepare?: boolean;
}

/** Ways a case bends a request away from what a runtime would send. */
export interface RunOptions {
  /** Merged into the config last; a key set to undefined is removed. */
  patch?: Record<string, unknown>;
  /** Merged into the environment; a variable set to undefined is removed. */
  env?: Record<string, string | undefined>;
  /** Raw stdin instead of the config. */
  stdin?: string;
}

/** Default CNI_IFNAME of attachments (Multus names the first secondary network net1). */
export const DEFAULT_IFNAME = "net1";

/** A node, its pods and the plugin under test; `await using` it. */
export class Sandbox implements AsyncDisposable {
  private readonly pods: TestNetns[] = [];
  private attachments = 0;

  private constructor(readonly profile: PluginProfile, readonly node: NodeContext) {}

  /** Creates the node netns and lets the profile prepare it. */
  static async create(profile: PluginProfile): Promise<Sandbox> {
    const node = await TestNetns.create(`conf${Deno.pid}-node`);
    let workDir = "";
    try {
      workDir = await Deno.makeTempDir({ prefix: "cni-conformance-" });
      return new Sandbox(profile, await profile.prepareNode(node, workDir));
    } catch (error) {
      await node[Symbol.asyncDispose]();
      if (workDir) await Deno.remove(workDir, { recursive: true });
      throw error;
    }
  }

  /** A new empty pod netns, deleted with the sandbox. */
  async newPod(): Promise<TestNetns> {
    const pod = await TestNetns.create(`conf${Deno.pid}-pod`);
    this.pods.push(pod);
    return pod;
  }

  /**
   * A new attachment (new pod unless given), with whatever the profile prepares on the node;
   * `prepare: false` skips that for cases that stage the node themselves.
   */
  async attachment(options: AttachmentOptions = {}): Promise<Attachment> {
    const index = this.attachments++;
    return {
      containerId: options.containerId ?? `conf${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`,
      ifname: options.ifname ?? DEFAULT_IFNAME,
      pod: options.pod ?? await this.newPod(),
      config: options.prepare === false ? {} : await this.profile.prepareAttachment(this.node, index),
    };
  }

  /** The config a runtime would send for this attachment at `version`, with `patch` applied. */
  config(
    version: string,
    attachment: Attachment,
    patch: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return applyPatch({ ...this.profile.netconf(version, this.node), ...attachment.config }, patch);
  }

  /** The environment a runtime sets for `command` on this attachment. */
  env(command: string, attachment: Attachment): Record<string, string> {
    return {
      CNI_COMMAND: command,
      CNI_CONTAINERID: attachment.containerId,
      CNI_NETNS: attachment.pod.path,
      CNI_IFNAME: attachment.ifname,
      CNI_PATH: cniPathOf(this.profile),
    };
  }

  /** Execs the plugin for `command` in the node netns. */
  run(
    command: string,
    attachment: Attachment,
    version: string,
    options: RunOptions = {},
  ): Promise<PluginRun> {
    const env = applyPatch(this.env(command, attachment), options.env ?? {}) as Record<string, string>;
    return this.exec(env, options.stdin ?? JSON.stringify(this.config(version, attachment, options.patch)));
  }

  /** Execs the plugin with exactly this environment and stdin, in the node netns. */
  exec(env: Record<string, string>, stdin: string): Promise<PluginRun> {
    return execPlugin({
      binary: `${this.profile.binDir}/${this.profile.type}`,
      env,
      stdin,
      netnsPath: this.node.node.path,
    });
  }

  /** ADD as a runtime sends it. */
  add(attachment: Attachment, version: string, options?: RunOptions): Promise<PluginRun> {
    return this.run("ADD", attachment, version, options);
  }

  /** CHECK with prevResult = `prevResult` (the ADD result). */
  check(
    attachment: Attachment,
    version: string,
    prevResult: unknown,
    options: RunOptions = {},
  ): Promise<PluginRun> {
    return this.run("CHECK", attachment, version, { ...options, patch: { prevResult, ...options.patch } });
  }

  /** DEL with prevResult when given (runtimes send the cached ADD result from 0.4.0 on). */
  del(
    attachment: Attachment,
    version: string,
    prevResult?: unknown,
    options: RunOptions = {},
  ): Promise<PluginRun> {
    const patch = prevResult === undefined ? options.patch : { prevResult, ...options.patch };
    return this.run("DEL", attachment, version, { ...options, patch });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const pod of this.pods.splice(0)) await pod[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await this.node.node[Symbol.asyncDispose]().catch((e) => errors.push(e));
    await Deno.remove(this.node.workDir, { recursive: true }).catch((e) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, "sandbox cleanup failed");
  }
}

/** Shallow merge where an undefined value deletes the key. */
function applyPatch<T>(base: Record<string, T>, patch: Record<string, T | undefined>): Record<string, T> {
  const merged: Record<string, T> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
