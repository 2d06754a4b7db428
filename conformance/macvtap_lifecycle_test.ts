// Macvtap group, life cycle (the project's contract in harness/rules_macvtap.ts): rollback after a failed
// ADD, CHECK against the kernel, GC that leaves node links alone.
import { registerCases } from "./harness/cases.ts";
import { MACVTAP_LIFECYCLE_CASES } from "./cases/macvtap_lifecycle.ts";
import { MACVTAP_PROFILES } from "./profiles/mod.ts";

registerCases(MACVTAP_LIFECYCLE_CASES, MACVTAP_PROFILES);
