/**
 * The shape of a conformance rule (rules.ts lists them; rules_generic.ts and rules_macvtap.ts write them).
 *
 * @module
 */

/** How strongly the source requires the behaviour. */
export type RuleLevel = "MUST" | "SHOULD" | "convention" | "project";

/** Which group a rule belongs to; the table prints the groups in this order. */
export type RuleGroup = "generic" | "macvtap" | "libcni";

/** One checkable statement. */
export interface Rule {
  /** Stable id used in test names and the table. */
  id: string;
  group: RuleGroup;
  level: RuleLevel;
  /** One line: what a conforming plugin does. */
  title: string;
  /** Where it is written, with the quote. */
  source: string;
}
