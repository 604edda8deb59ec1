import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { layoutGraph, routePath } from '../../src/report/index.js';

/** Random DAGs: edges only from a lower to a higher index. */
const dag = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: 3 * n }).map((es) => es.filter(([a, b]) => a < b).map(([from, to]) => ({ from, to }))),
    wrap: fc.constantFrom(Infinity, 600, 1500),
  }),
);

describe('layered layout', () => {
  it('keeps boxes apart, inside the drawing, and every edge left to right within its band', () => {
    fc.assert(
      fc.property(dag, ({ n, edges, wrap }) => {
        const nodes = Array.from({ length: n }, (_, i) => ({ width: 100 + (i % 3) * 20, height: 30 }));
        const l = layoutGraph(nodes, edges, { wrapWidth: wrap });
        for (let i = 0; i < n; i++) {
          const p = l.positions[i]!;
          assert.ok(p.x >= 0 && p.y >= 0 && p.x + nodes[i]!.width <= l.width + 1e-6 && p.y + 30 <= l.height + 1e-6, `box ${i} outside the drawing`);
          for (let j = 0; j < i; j++) {
            const q = l.positions[j]!;
            const overlap = p.x < q.x + nodes[j]!.width && q.x < p.x + nodes[i]!.width && p.y < q.y + 30 && q.y < p.y + 30;
            assert.ok(!overlap, `boxes ${j} and ${i} overlap`);
          }
        }
        edges.forEach((e, k) => {
          assert.ok(l.layers[e.to]! > l.layers[e.from]!, 'an edge goes to a later layer');
          const route = l.routes[k]!;
          assert.ok(route.length >= 1);
          const first = route[0]![0]!;
          const last = route[route.length - 1]!.at(-1)!;
          assert.equal(first.x, l.positions[e.from]!.x + nodes[e.from]!.width);
          assert.equal(last.x, l.positions[e.to]!.x);
          for (const line of route) for (let i = 1; i < line.length; i++) assert.ok(line[i]!.x >= line[i - 1]!.x - 1e-6, 'a route runs left to right');
        });
      }),
      { numRuns: 150 },
    );
  });

  it('wraps a long chain into bands no wider than asked', () => {
    const n = 200;
    const nodes = Array.from({ length: n }, () => ({ width: 150, height: 38 }));
    const edges = Array.from({ length: n - 1 }, (_, i) => ({ from: i, to: i + 1 }));
    const strip = layoutGraph(nodes, edges);
    assert.equal(strip.bands, 1);
    assert.ok(strip.width > 200 * 150);
    const wrapped = layoutGraph(nodes, edges, { wrapWidth: 2000 });
    assert.ok(wrapped.bands > 10);
    assert.ok(wrapped.width <= 2000 + 2 * 20 + 1, `width ${wrapped.width}`);
    // the edge that leaves a band continues on the next one: two polylines
    assert.ok(wrapped.routes.some((r) => r !== undefined && r.length === 2));
  });

  it('drops edges that point backwards instead of looping', () => {
    const l = layoutGraph([{ width: 10, height: 10 }, { width: 10, height: 10 }], [{ from: 1, to: 0 }, { from: 0, to: 1 }]);
    assert.equal(l.routes[0], undefined);
    assert.ok(l.routes[1] !== undefined);
    assert.match(routePath(l.routes[1]!), /^M[\d.]+,[\d.]+/);
  });
});
