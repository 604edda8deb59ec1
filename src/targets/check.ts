import { quote } from '../util/text.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { createRuleContext, findBuildFacts, opSupportOf, type BuildFacts } from './context.js';
import { RECIPES } from './recipes.js';
import { fail } from './rule-kit.js';
import { shapeDynamicRule, shapeUnknownRule } from './rules/general-rules.js';
import type { Fix, OpSupport, Placement, Precision, Problem, RuleContext, RuleDef, TargetProfile } from './types.js';

/** One node's check: where it goes, every failing rule, and the notes of passing ones. */
export interface NodeCheck {
  readonly node: Node;
  readonly placement: Placement;
  readonly problems: readonly Problem[];
  readonly notes: readonly string[];
  /** What to do about the first problem (each problem keeps its own), else "cut it off to the GPU" for post-processing. */
  readonly fix: Fix | undefined;
}

export interface GraphCheck {
  /** One per node, in topological order. */
  readonly checks: readonly NodeCheck[];
  readonly facts: BuildFacts;
  readonly ctx: RuleContext;
}

/**
 * Checks every node of a graph against a profile: nodes folded at build time, then the op's status,
 * then the general rules and the op's rules, reporting every failing rule of a node at once.
 * Expects shapes already inferred (`analyze` runs inferShapes first).
 */
export function checkTargetRules(graph: Graph, profile: TargetProfile, precision: Precision, opset: number): GraphCheck {
  const facts = findBuildFacts(graph, profile);
  const ctx = createRuleContext(graph, profile, precision, opset, facts);
  const byNode = new Map<Node, NodeCheck>();
  const checks: NodeCheck[] = [];
  for (const node of graph.nodes) {
    let check = checkNode(node, ctx, facts);
    check = pairCastWithComparison(check, ctx, byNode);
    byNode.set(node, check);
    checks.push(check);
  }
  return { checks: addPostProcessingFixes(checks, ctx, facts), facts, ctx };
}

function checkNode(node: Node, ctx: RuleContext, facts: BuildFacts): NodeCheck {
  if (facts.atBuild.has(node)) return { node, placement: 'build', problems: [], notes: [facts.buildReason.get(node) ?? 'resolved at build time'], fix: undefined };
  const support = opSupportOf(ctx.profile, node);
  switch (support.placement) {
    case 'build':
    case 'removed': {
      const problems = runRules(node, ctx, [shapeUnknownRule, shapeDynamicRule]).problems;
      if (problems.length === 0) {
        problems.push(fail('op.build-time', `${node.op} must vanish at build time${support.row?.why ? ` (${support.row.why})` : ''}, but an input is computed at run time`));
      }
      return finish(node, 'fallback', problems, []);
    }
    case 'fallback':
      return finish(node, 'fallback', [opProblem(node, support, ctx)], []);
    case 'target': {
      const exempt = new Set(support.row?.exempt ?? []);
      const general = (list: readonly RuleDef[]): RuleDef[] => list.filter((r) => !exempt.has(r.id));
      const rules = [...general(ctx.profile.generalRules), ...support.rules, ...general(ctx.profile.limitRules)];
      const { problems, notes } = runRules(node, ctx, rules);
      if (support.note !== undefined) notes.unshift(support.note);
      return finish(node, problems.length > 0 ? 'fallback' : 'target', problems, notes);
    }
  }
}

function runRules(node: Node, ctx: RuleContext, rules: readonly RuleDef[]): { problems: Problem[]; notes: string[] } {
  const problems: Problem[] = [];
  const notes: string[] = [];
  for (const rule of rules) {
    const v = rule.check(node, ctx);
    if (!v.ok) problems.push(v);
    else if (v.note !== undefined) notes.push(`${rule.id}: ${v.note}`);
  }
  return { problems, notes };
}

function finish(node: Node, placement: Placement, problems: readonly Problem[], notes: readonly string[]): NodeCheck {
  const fix = problems[0]?.fix;
  return { node, placement, problems, notes: placement === 'fallback' ? [] : notes, fix };
}

/** The op-level problem of a fallback row, with its recipe as the fix where the recipe's conditions hold. */
function opProblem(node: Node, support: Extract<OpSupport, { placement: 'fallback' }>, ctx: RuleContext): Problem {
  let reason = support.reason;
  let fix: Fix | undefined;
  if (support.recipe !== undefined) {
    const recipe = RECIPES.get(support.recipe);
    const applies = recipe?.applies?.(node, ctx);
    if (recipe !== undefined && (applies === undefined || applies.ok)) {
      fix = { kind: 'recipe', recipe: recipe.id, text: `${recipe.id}: ${applies?.ok ? applies.text : recipe.summary}` };
    } else if (applies !== undefined && !applies.ok) {
      reason += `; ${support.recipe} does not apply: ${applies.why}`;
    }
  }
  fix ??= support.row?.rewrite?.(node, ctx);
  return fail(support.rule, reason, fix);
}

/** A Cast runs on the DLA only together with its comparison (L-CMP K2): when the comparison falls back, so does the Cast. */
function pairCastWithComparison(check: NodeCheck, ctx: RuleContext, byNode: ReadonlyMap<Node, NodeCheck>): NodeCheck {
  const support = opSupportOf(ctx.profile, check.node);
  if (check.placement !== 'target' || support.row?.status !== 'cast') return check;
  const producer = ctx.graph.producer(check.node.input(0) ?? '');
  const compare = producer === undefined ? undefined : byNode.get(producer);
  if (compare === undefined || compare.placement !== 'fallback') return check;
  const label = producer?.name || producer?.op || '?';
  return finish(check.node, 'fallback', [fail('cast.after-compare', `its comparison ${quote(label)} falls back to the GPU (${compare.problems[0]?.rule ?? '?'}); the Cast follows it`)], []);
}

/**
 * A fallback with no fix that comes after target nodes and feeds none is post-processing: the fix is
 * to cut it off as a GPU stage rather than to make it DLA-capable.
 */
function addPostProcessingFixes(checks: readonly NodeCheck[], ctx: RuleContext, facts: BuildFacts): NodeCheck[] {
  if (ctx.profile.kind !== 'dla') return [...checks];
  const byNode = new Map(checks.map((c) => [c.node, c]));
  const reaches = new Set<Node>();
  for (let i = checks.length - 1; i >= 0; i--) {
    const c = checks[i]!;
    const wire = c.placement === 'build' && c.node.outputs.some((o) => facts.alias.has(o));
    if (c.placement === 'build' && !wire) continue;
    const hit = c.node.outputs.some((o) => o !== '' && ctx.graph.consumers(o).some((u) => byNode.get(u)?.placement === 'target' || reaches.has(u)));
    if (hit) reaches.add(c.node);
  }
  const after = new Set<Node>();
  for (const c of checks) {
    if (c.placement === 'build' && !c.node.outputs.some((o) => facts.alias.has(o))) continue;
    const fromTarget = c.node.inputs.some((i) => {
      const p = i === '' ? undefined : ctx.graph.producer(i);
      return p !== undefined && (byNode.get(p)?.placement === 'target' || after.has(p));
    });
    if (fromTarget) after.add(c.node);
  }
  return checks.map((c) => {
    if (c.placement !== 'fallback' || c.fix !== undefined || reaches.has(c.node) || !after.has(c.node)) return c;
    const fix: Fix = { kind: 'cut-to-gpu', text: 'post-processing: nothing after it runs on the DLA; cut it off as a GPU stage (tandem split)' };
    return { ...c, fix };
  });
}
