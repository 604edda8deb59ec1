import { GRAPH_CHECKS, OP_CHECKS } from './diagnostics.js';
import { OP_TABLE } from './op-table.js';
import { RECIPES } from './recipes.js';
import { TARGETS } from './profiles.js';
import { explainReference } from './references.js';
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

/** The reference tags the rules of a profile cite, each with what the DLA support reference says (Markdown). */
export function referencesMarkdown(profile: TargetProfile): string {
  const { op, graph } = checkTable(profile);
  const seen = new Map<string, string | undefined>();
  for (const r of [...ruleTable(profile), ...op, ...graph]) for (const { tag, text } of explainReference(r.ref)) if (!seen.has(tag)) seen.set(tag, text);
  const lines = [
    `### References cited by the rules of ${profile.name}`,
    '',
    'Tags of the DLA support reference ([docs/dla-support-reference.md](../dla-support-reference.md)): `G<n>` general restrictions (section 1), `L-<LAYER> <id>` per-layer rule sets (2a), `<Op> row` the ONNX operator table (2c), `R-<NAME>` reconstruction recipes (3), other tags the sources (0).',
    '',
    '| reference | what the reference says |',
    '|---|---|',
  ];
  for (const [tag, text] of [...seen].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) lines.push(`| ${cell(tag)} | ${cell(text ?? '(not in the reference key)')} |`);
  return seen.size === 0 ? '' : lines.join('\n');
}

/**
 * One target's page: its rules (with their limits), its ONNX op support and the references the rules
 * cite, explained. What `tandem targets <name> --markdown` prints and docs/targets/<name>.md holds.
 */
export function targetMarkdown(profile: TargetProfile): string {
  const head = [`# ${profile.name}: ${profile.title}`, '', `Generated by \`tandem targets ${profile.name} --markdown\` (\`npm run docs:targets\`) from the rules tandem checks; default precision ${profile.defaultPrecision}, fallback: ${profile.fallback}.`];
  for (const n of profile.notes) head.push('', `Note: ${n}`);
  return [head.join('\n'), ruleMarkdown(profile), opSupportMarkdown(profile), referencesMarkdown(profile)].filter((x) => x !== '').join('\n\n') + '\n';
}

/** docs/targets/: one page per target and an index (file name → Markdown). */
export function targetDocs(): Record<string, string> {
  const docs: Record<string, string> = {};
  const index = ['# Targets', '', 'What tandem checks per target: the rules with their limits and references, and which ONNX ops run there. Generated by `npm run docs:targets`; `tandem targets <name>` prints the same.', '', '| target | what | rules |', '|---|---|---|'];
  for (const p of TARGETS.values()) {
    docs[`${p.name}.md`] = targetMarkdown(p);
    index.push(`| [${p.name}](${p.name}.md) | ${cell(p.title)} | ${p.rules.size} |`);
  }
  docs['README.md'] = `${index.join('\n')}\n`;
  return docs;
}
