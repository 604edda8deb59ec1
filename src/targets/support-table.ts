import { GRAPH_CHECKS, OP_CHECKS } from './diagnostics.js';
import { OP_TABLE } from './op-table.js';
import { RECIPES } from './recipes.js';
import type { Confidence, OpSupport, RecipeId, TargetProfile } from './types.js';

/**
 * Support tables generated from the typed data the checker uses (the op table, the rule registry, the
 * recipes), for `tandem targets`, the README and the report. Returns data and text; never prints.
 */

/** One rule of a target's rule table (`ruleTable`): its id, the reference section, its confidence, what it checks. */
export interface RuleRow {
  readonly id: string;
  readonly ref: string;
  readonly conf: Confidence;
  /** The rule with this profile's numbers. */
  readonly description: string;
}

/** One op of a target's support table (`opSupportTable`): where it goes and under which rule. */
export interface OpSupportRow {
  readonly op: string;
  /** Where the op goes on this target when its rules hold: `target`, `fallback`, `build`, `removed`. */
  readonly placement: OpSupport['placement'];
  /** The rule id of a fallback row (`op.no-dla`, `op.needs-rewrite`, `op.trt-version`, ...). */
  readonly rule?: string;
  readonly layer: string;
  /** Rules checked when the op can run on the target. */
  readonly rules: readonly string[];
  readonly recipe?: RecipeId;
  readonly source: string;
  readonly conf: Confidence;
}

/** Every node rule a profile checks: general rules and size limits first, then the op rules by id. */
export function ruleTable(profile: TargetProfile): RuleRow[] {
  const first = [...profile.generalRules, ...profile.limitRules];
  const rest = [...profile.rules.values()].filter((r) => !first.includes(r)).sort((a, b) => a.id.localeCompare(b.id));
  return [...first, ...rest].map((r) => ({ id: r.id, ref: r.ref, conf: r.conf, description: r.describe(profile) }));
}

/** The op-level verdict ids and the graph-level checks, described for a profile. */
export function checkTable(profile: TargetProfile): { op: RuleRow[]; graph: RuleRow[] } {
  const rows = (list: typeof OP_CHECKS): RuleRow[] => list.map((c) => ({ id: c.id, ref: c.ref, conf: c.conf, description: c.describe(profile) }));
  return { op: rows(OP_CHECKS), graph: rows(GRAPH_CHECKS.filter((c) => (profile.kind === 'dla' || !/^(region|precision)\./.test(c.id)) && (c.id !== 'precision.fp16-orin' || profile.dlaGeneration === 2))) };
}

/** One row per op of the reference table, as this profile resolves it. */
export function opSupportTable(profile: TargetProfile): OpSupportRow[] {
  return OP_TABLE.map((row) => {
    const s = profile.ops.get(row.op) ?? profile.unknownOp;
    return {
      op: row.op,
      placement: s.placement,
      ...(s.placement === 'fallback' ? { rule: s.rule } : {}),
      layer: row.layer,
      rules: s.placement === 'target' ? s.rules.map((r) => r.id) : [],
      ...(row.recipe === undefined ? {} : { recipe: row.recipe }),
      source: row.source,
      conf: row.conf,
    };
  });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

const PLACEMENT_TEXT: Readonly<Record<OpSupport['placement'], string>> = {
  target: 'runs (if rules hold)',
  fallback: 'falls back',
  build: 'folded at build',
  removed: 'removed at build',
};

/** The op support of one profile as a Markdown table (for the README and the report). */
export function opSupportMarkdown(profile: TargetProfile): string {
  const lines = [`### ${profile.name}: ${profile.title}`, '', '| ONNX op | on this target | rules / why not | fix |', '|---|---|---|---|'];
  for (const r of opSupportTable(profile)) {
    const what = r.placement === 'fallback' ? `\`${r.rule}\`` : r.rules.map((id) => `\`${id}\``).join(' ');
    const fix = r.recipe === undefined ? '' : `${r.recipe}: ${RECIPES.get(r.recipe)?.summary ?? ''}`;
    lines.push(`| ${r.op} | ${PLACEMENT_TEXT[r.placement]} | ${cell(what)} | ${cell(r.placement === 'fallback' ? fix : '')} |`);
  }
  return lines.join('\n');
}

/** The rules of one profile (node rules, op-level verdicts, graph checks) as a Markdown table. */
export function ruleMarkdown(profile: TargetProfile): string {
  const lines = [`### Rules of ${profile.name}`, '', '| rule | reference | confidence | limit |', '|---|---|---|---|'];
  const { op, graph } = checkTable(profile);
  for (const r of [...ruleTable(profile), ...op, ...graph]) lines.push(`| \`${r.id}\` | ${cell(r.ref)} | ${r.conf} | ${cell(r.description)} |`);
  return lines.join('\n');
}
