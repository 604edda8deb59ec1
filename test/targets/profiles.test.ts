import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLA_RULES, OP_TABLE, RECIPES, TARGETS, getTarget, opSupportMarkdown, ruleTable } from '../../src/targets/index.js';

/** The registries: rule ids, references, descriptions with each profile's numbers, the generated tables. */

describe('rule registry', () => {
  it('rule ids are stable dotted names, each citing a reference row', () => {
    for (const [id, r] of DLA_RULES) {
      assert.equal(r.id, id);
      assert.match(id, /^[a-z0-9]+\.[a-z0-9-]+$/, id);
      assert.match(r.ref, /(G\d+|L-[A-Z]+|R-[A-Z]+|row|P86)/, `${id}: ${r.ref}`);
    }
  });

  it('every DLA rule is checked by some profile, and every rule an op row names exists', () => {
    const used = new Set<string>();
    for (const p of TARGETS.values()) for (const id of p.rules.keys()) used.add(id);
    assert.deepEqual([...DLA_RULES.keys()].filter((id) => !used.has(id)), []);
    for (const row of OP_TABLE) for (const id of row.rules) assert.ok(DLA_RULES.has(id), `${row.op}: ${id}`);
  });

  it('describes each rule with the profile\'s numbers', () => {
    const orin = new Map(ruleTable(getTarget('orin-dla')).map((r) => [r.id, r.description]));
    assert.equal(orin.get('conv.kernel-size'), 'kernel 1..32 per spatial dim');
    assert.equal(orin.get('conv.stride'), 'stride 1..8 per spatial dim');
    assert.equal(orin.get('pool.window'), 'window 1..8 per dim');
    assert.equal(orin.get('tensor.dims'), 'every non-batch dim (the last three: C, H, W) in 1..8192');
    assert.equal(orin.get('pool.count-include-pad'), 'no restriction on this DLA generation');
    const xavier = new Map(ruleTable(getTarget('xavier-dla')).map((r) => [r.id, r.description]));
    assert.equal(xavier.get('pool.count-include-pad'), 'AveragePool count_include_pad = 1 (Xavier counts padding)');
    assert.equal(ruleTable(getTarget('gpu')).map((r) => r.id).join(), 'tensor.volume');
  });

  it('every recipe an op row names exists', () => {
    for (const row of OP_TABLE) if (row.recipe !== undefined) assert.ok(RECIPES.has(row.recipe), `${row.op}: ${row.recipe}`);
  });
});

describe('profiles', () => {
  it('the DLA profiles describe their TensorRT version and limits', () => {
    assert.deepEqual(getTarget('orin-dla').trt, [8, 6, 2]);
    assert.equal(getTarget('orin-dla').limits?.maxLoadablesPerCore, 16);
    assert.equal(getTarget('xavier-dla').dlaGeneration, 1);
    assert.equal(getTarget('orin-dla-trt10').trt?.[0], 10);
    assert.equal(getTarget('cpu').limits, undefined);
  });

  it('the generated Markdown has one line per op row', () => {
    const md = opSupportMarkdown(getTarget('orin-dla')).split('\n');
    for (const row of OP_TABLE) assert.equal(md.filter((l) => l.startsWith(`| ${row.op} |`)).length, 1, row.op);
    assert.ok(md.includes('| Conv | runs (if rules hold) | `conv.spatial-dims` `conv.kernel-size` `conv.stride` `conv.padding` `conv.dilation` `conv.out-channels` `conv.groups` `conv.cbuf` `weights.constant` |  |'));
  });
});
