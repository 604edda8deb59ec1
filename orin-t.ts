import data from './src/plan/cost/fit-workloads.json' with { type: 'json' };
import { ORIN_PARAMS, stageCost, partitionAt, type Workload } from './src/plan/cost/index.js';
const ws = data.workloads as unknown as Record<string, Workload>;
for (const [k, w] of Object.entries(ws)) {
  const dla = w.layers.filter(l => l.dla).length;
  const g = stageCost(w, undefined, 'gpu', 'fp16', { params: ORIN_PARAMS });
  const d = stageCost(w, undefined, 'dla', 'int8', { params: ORIN_PARAMS });
  console.log(k, w.layers.length, 'dla', dla, 'gpu', g.latencyMs.toFixed(2), JSON.stringify(g.counts), 'dla', d.latencyMs.toFixed(2), JSON.stringify(d.breakdown), JSON.stringify(d.counts));
}
const mt = ws.multitask!;
const p = partitionAt(mt, data.cuts.multitask);
console.log('trunk', p.trunk.length, 'heads', p.heads.map(h => h.length), 'shared', p.shared.length);
for (const h of p.heads) { const d = stageCost(mt, h, 'dla', 'int8', { params: ORIN_PARAMS }); console.log(JSON.stringify(d.counts), d.latencyMs.toFixed(2), JSON.stringify(d.breakdown)); console.log(h.filter(i=>!mt.layers[i]!.dla).map(i=>mt.layers[i]!.op).join(',')); }
