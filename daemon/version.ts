/**
 * The stack's version: the `version` of the repository's deno.json, its one home. The image labels, the
 * manifests' `app.kubernetes.io/version`, `--version` and the `macvtap_dp_build_info` metric all show it
 * (deploy/ tests check the manifests against it).
 *
 * A JSON module import: no read permission needed.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;
