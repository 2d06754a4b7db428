// ADD: the result, the interface in the pod, prevResult, CNI_ARGS and MAC capabilities (rules ADD-*).
import { registerCases } from "./harness/cases.ts";
import { ADD_CASES } from "./cases/add.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(ADD_CASES, PROFILES);
