import { TARGETS, checkTable, getTarget, opSupportTable, ruleTable, targetMarkdown, type RuleRow, type TargetProfile } from '../../targets/index.js';
import type { CliContext } from '../context.js';
import { plural, table } from '../format.js';
import type { CliCommand } from './types.js';

interface TargetsFlags {
  json?: boolean;
  markdown?: boolean;
}

export const targetsCommand: CliCommand = {
  name: 'targets',
  examples: [
    'tandem targets',
    'tandem targets orin-dla',
    'tandem targets xavier-dla --markdown',
  ],
  writes: false,
  readsModel: false,
  register(program, ctx) {
    program
      .command('targets')
      .description('list the target profiles, or one target\'s rules (with its limits) and ONNX op support')
      .argument('[target]', 'a target name; without it, every target')
      .option('--json', 'print as JSON')
      .option('--markdown', 'print the rules, the op support and the references the rules cite as Markdown (the pages in docs/targets/)')
      .action((name: string | undefined, flags: TargetsFlags) => {
        const profiles = name === undefined ? [...TARGETS.values()] : [getTarget(name)];
        if (flags.json) {
          ctx.printJson(profiles.map((p) => ({ ...describe(p), ...(name === undefined ? {} : { rules: ruleTable(p), checks: checkTable(p), ops: opSupportTable(p) }) })));
          return;
        }
        if (flags.markdown) {
          // The pages in docs/targets/ (npm run docs:targets writes them; a test keeps them equal to this).
          ctx.print(profiles.map((p) => targetMarkdown(p).trimEnd()).join('\n\n'));
          return;
        }
        if (name === undefined) printList(ctx, profiles);
        else printOne(ctx, profiles[0]!);
      });
  },
};

function describe(p: TargetProfile): { name: string; title: string; kind: string; fallback: string; defaultPrecision: string; rules: number; notes: readonly string[] } {
  return { name: p.name, title: p.title, kind: p.kind, fallback: p.fallback, defaultPrecision: p.defaultPrecision, rules: p.rules.size, notes: p.notes };
}

function printList(ctx: CliContext, profiles: readonly TargetProfile[]): void {
  for (const p of profiles) {
    const onTarget = opSupportTable(p).filter((r) => r.placement === 'target').length;
    ctx.print(`${p.name.padEnd(15)} ${p.title}`);
    ctx.print(`${''.padEnd(15)} ${plural(p.rules.size, 'rule')}, ${plural(onTarget, 'ONNX op')} can run here, default precision ${p.defaultPrecision}, fallback: ${p.fallback}`);
  }
  ctx.print();
  ctx.print('tandem targets <name> lists a target\'s rules and op support.');
}

function printOne(ctx: CliContext, p: TargetProfile): void {
  ctx.print(`${p.name}: ${p.title}`);
  for (const n of p.notes) ctx.print(`  note: ${n}`);
  ctx.print();
  const rows = ruleTable(p);
  const { op, graph } = checkTable(p);
  const print = (title: string, list: readonly RuleRow[]): void => {
    if (list.length === 0) return;
    ctx.print(title);
    for (const line of table(['rule', 'conf', 'reference', 'limit'], list.map((r) => [r.id, r.conf, r.ref, r.description]))) ctx.print(`  ${line}`);
    ctx.print();
  };
  ctx.print(`references (G6, L-CONV C9, P86, …) are rows and sections of the DLA support reference: docs/dla-support-reference.md; this table with them explained: docs/targets/${p.name}.md`);
  ctx.print();
  print(`node rules (${rows.length}; CONF = stated in a source, UNCONF = heuristic, CONFLICT = sources disagree)`, rows);
  print('op-level verdicts', op);
  print('graph checks', graph);
  const ops = opSupportTable(p);
  const groups: [string, string[]][] = [
    ['runs when its rules hold', ops.filter((r) => r.placement === 'target').map((r) => r.op)],
    ['folded or removed at build time', ops.filter((r) => r.placement === 'build' || r.placement === 'removed').map((r) => r.op)],
  ];
  for (const rule of [...new Set(ops.map((r) => r.rule).filter((x): x is string => x !== undefined))]) {
    groups.push([`falls back (${rule})`, ops.filter((r) => r.rule === rule).map((r) => (r.recipe ? `${r.op} [${r.recipe}]` : r.op))]);
  }
  ctx.print(`ONNX ops (${ops.length} rows of the reference table; other ops: ${p.unknownOp.placement === 'fallback' ? p.unknownOp.rule : 'assumed to run'})`);
  for (const [title, list] of groups) if (list.length > 0) ctx.print(`  ${title} (${list.length}): ${list.join(', ')}`);
}
