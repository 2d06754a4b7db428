/**
 * The profiles the generic cases run against.
 *
 * Default: Debian's macvlan and our macvtap. `CNI_CONFORMANCE_PROFILES` (comma-separated) picks others:
 * each entry is a built-in id (`debian-macvlan`, `macvtap`) or the path of a module whose default export
 * is a {@link PluginProfile} (see conformance/README.md "Testing another plugin").
 *
 * Requires `--allow-env` and, for profile modules, `--allow-read` of them.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import type { PluginProfile } from "../harness/profile.ts";
import { debianMacvlan } from "./debian_macvlan.ts";
import { macvtapProfile } from "./macvtap.ts";

const BUILT_IN: Record<string, PluginProfile> = {
  [debianMacvlan.id]: debianMacvlan,
  [macvtapProfile.id]: macvtapProfile,
};

async function loadProfile(entry: string): Promise<PluginProfile> {
  if (BUILT_IN[entry]) return BUILT_IN[entry];
  if (!entry.includes("/") && !entry.endsWith(".ts")) {
    throw new Error(`CNI_CONFORMANCE_PROFILES: "${entry}" is neither a built-in profile nor a module path`);
  }
  const module = await import(pathToFileURL(entry).href);
  const profile = module.default as PluginProfile | undefined;
  if (!profile?.id || !profile.binDir) {
    throw new Error(`${entry} has no default export that is a PluginProfile`);
  }
  return profile;
}

const selection = Deno.env.get("CNI_CONFORMANCE_PROFILES")?.split(",").map((s) => s.trim()).filter(Boolean);

/** Profiles the generic cases and the libcni interop run against. */
export const PROFILES: readonly PluginProfile[] = selection
  ? await Promise.all(selection.map(loadProfile))
  : [debianMacvlan, macvtapProfile];

/** Our macvtap profile when selected (the macvtap-specific group runs only then). */
export const MACVTAP_PROFILES: readonly PluginProfile[] = PROFILES.filter((p) => p.id === macvtapProfile.id);
