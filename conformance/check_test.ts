// CHECK (rules CHECK-*): from 0.4.0 on it verifies the attachment against prevResult.
import { registerCases } from "./harness/cases.ts";
import { CHECK_CASES } from "./cases/check.ts";
import { PROFILES } from "./profiles/mod.ts";

registerCases(CHECK_CASES, PROFILES);
