/**
 * The rules the conformance suite checks, each tied to the text it comes from.
 *
 * Sources: SPEC.md of the CNI spec at the version named (1.0.0 is the copy Debian ships in
 * golang-github-appc-cni-dev, /usr/share/doc/golang-github-appc-cni-dev/SPEC.md.gz), CONVENTIONS.md,
 * and, where the spec is silent, what libcni's `pkg/skel` does (every Go plugin behaves so, and runtimes
 * rely on it). Text in double quotes is quoted; anything else is a paraphrase. The macvtap rules are
 * this project's contract with its device plugin and Multus (rules_macvtap.ts).
 *
 * @module
 */
import type { Rule, RuleGroup, RuleLevel } from "./rule.ts";
import { GENERIC_RULES } from "./rules_generic.ts";
import { MACVTAP_RULES } from "./rules_macvtap.ts";

export type { Rule, RuleGroup, RuleLevel };

const libcni = (id: string, title: string, source: string): Rule => ({
  id,
  group: "libcni",
  level: "convention",
  title,
  source,
});

/** The libcni interop rules, in table order. */
const LIBCNI_RULES: readonly Rule[] = [
  // libcni interop
  libcni(
    "LIBCNI-validate",
    "GetVersionInfo/ValidateNetworkList accept it",
    "libcni 1.1.2 api.go ValidateNetworkList/GetVersionInfo (Debian golang-github-appc-cni-dev)",
  ),
  libcni(
    "LIBCNI-lifecycle",
    "Add/Check/Del/Del NetworkList succeed",
    "libcni 1.1.2 api.go; the runtime side of SPEC §2-§3",
  ),
  libcni(
    "LIBCNI-capabilities",
    "capability args (mac, deviceID) → runtimeConfig",
    "libcni injectRuntimeConfig; CONVENTIONS.md capabilities",
  ),
  libcni(
    "LIBCNI-cache",
    "the cached ADD result reaches CHECK as prevResult",
    'SPEC 1.0.0 §2 CHECK (runtime): "must include a prevResult field ... containing the Result of the ' +
      'immediately preceding ADD"; libcni result cache',
  ),
];

/** Every rule, in table order. */
export const RULES: readonly Rule[] = [...GENERIC_RULES, ...MACVTAP_RULES, ...LIBCNI_RULES];

/** The rule with this id; throws on a typo so a case can never report into nowhere. */
export function rule(id: string): Rule {
  const found = RULES.find((r) => r.id === id);
  if (!found) throw new Error(`unknown conformance rule id "${id}"`);
  return found;
}
