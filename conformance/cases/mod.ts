/**
 * Every case, by group: the generic cases apply to any plugin, the libcni cases drive any plugin through
 * Debian's libcni, the macvtap cases hold this project's plugin to its own contract.
 *
 * @module
 */
import type { CaseSpec } from "../harness/cases.ts";
import { ADD_CASES } from "./add.ts";
import { CHECK_CASES } from "./check.ts";
import { CONCURRENCY_CASES } from "./concurrency.ts";
import { CONFIG_CASES } from "./config.ts";
import { DEL_CASES } from "./del.ts";
import { ENV_CASES } from "./env.ts";
import { GC_STATUS_CASES } from "./gc_status.ts";
import { LIBCNI_CASES } from "./libcni.ts";
import { MACVTAP_CONFIG_CASES } from "./macvtap_config.ts";
import { MACVTAP_DEVICE_CASES } from "./macvtap_device.ts";
import { MACVTAP_LIFECYCLE_CASES } from "./macvtap_lifecycle.ts";
import { VERSION_CASES } from "./version.ts";

/** Cases of the generic rules, in the order the command line runs them. */
export const GENERIC_CASES: readonly CaseSpec[] = [
  ...VERSION_CASES,
  ...ENV_CASES,
  ...CONFIG_CASES,
  ...ADD_CASES,
  ...CHECK_CASES,
  ...DEL_CASES,
  ...CONCURRENCY_CASES,
  ...GC_STATUS_CASES,
];

/** Cases of the generic and libcni rules: what the command line runs for any plugin. */
export const ANY_PLUGIN_CASES: readonly CaseSpec[] = [...GENERIC_CASES, ...LIBCNI_CASES];

/** Cases of this project's own contract (the macvtap profile only). */
export const MACVTAP_CASES: readonly CaseSpec[] = [
  ...MACVTAP_DEVICE_CASES,
  ...MACVTAP_CONFIG_CASES,
  ...MACVTAP_LIFECYCLE_CASES,
];
