import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';
import { PARAM_NAMES, type FitRowResult, type LatencyParams, type ParamName } from './params.js';

/**
 * Fits the parameters that carry `fit` bounds: least squares on log-values (log predicted − log
 * measured, so a row's weight does not depend on its unit or size), by Levenberg–Marquardt with a
 * forward-difference Jacobian. Each bounded parameter is searched as z with
 * value = min · (max/min)^sigmoid(z), so it stays inside its bounds and moves in ratios.
 */

export interface FitRow {
  readonly id: string;
  readonly value: number;
  readonly unit: string;
  readonly predict: (params: LatencyParams) => number;
}

export interface FitOptions {
  /** What the fit was made on, recorded in the file ('published', a results folder). */
  on: string;
  /** @default 200 */
  maxIterations?: number;
}

/** Latency parameters fitted on measurements, with the per-row errors. */
export interface FitResult {
  readonly params: LatencyParams;
  readonly rows: readonly FitRowResult[];
  readonly rmsLogError: number;
  readonly iterations: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function fitted(p: LatencyParams): ParamName[] {
  return PARAM_NAMES.filter((n) => p.parameters[n]?.fit !== undefined);
}

function withValues(p: LatencyParams, names: readonly ParamName[], z: readonly number[]): LatencyParams {
  const parameters = { ...p.parameters };
  names.forEach((n, i) => {
    const e = parameters[n]!;
    const { min, max } = e.fit!;
    parameters[n] = { ...e, value: min * (max / min) ** sigmoid(z[i]!) };
  });
  return { ...p, parameters };
}

function toZ(p: LatencyParams, n: ParamName): number {
  const e = p.parameters[n]!;
  const { min, max } = e.fit!;
  const t = Math.min(1 - 1e-6, Math.max(1e-6, Math.log(e.value / min) / Math.log(max / min)));
  return Math.log(t / (1 - t));
}

function residuals(p: LatencyParams, rows: readonly FitRow[]): number[] {
  return rows.map((r) => {
    const v = r.predict(p);
    return Number.isFinite(v) && v > 0 ? Math.log(v) - Math.log(r.value) : 10;
  });
}

/** Solves A x = b (A small, symmetric positive definite after damping) by Gaussian elimination. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-300 ? 0 : row[n]! / row[i]!));
}

const sumSq = (r: readonly number[]): number => r.reduce((s, x) => s + x * x, 0);

/** Fits `params` on `rows`; returns a new parameter document (the input is not changed). */
export function fitLatencyParams(params: LatencyParams, rows: readonly FitRow[], options: FitOptions): FitResult {
  if (rows.length === 0) throw new TandemError('PLAN_COST', 'nothing to fit on: no measured rows');
  for (const r of rows) if (!(r.value > 0 && Number.isFinite(r.value))) throw new TandemError('PLAN_COST', `row ${quote(r.id)} has measured value ${r.value}; a fit needs positive finite values`);
  const names = fitted(params);
  let z = names.map((n) => toZ(params, n));
  let cur = residuals(withValues(params, names, z), rows);
  let lambda = 1e-2;
  let it = 0;
  const maxIt = options.maxIterations ?? 200;
  for (; it < maxIt; it++) {
    const h = 1e-4;
    const jac = names.map((_, j) => {
      const zz = [...z];
      zz[j]! += h;
      const r = residuals(withValues(params, names, zz), rows);
      return r.map((x, i) => (x - cur[i]!) / h);
    });
    const jtj = names.map((_, a) => names.map((__, b) => jac[a]!.reduce((s, x, i) => s + x * jac[b]![i]!, 0)));
    const jtr = names.map((_, a) => -jac[a]!.reduce((s, x, i) => s + x * cur[i]!, 0));
    let improved = false;
    for (let tries = 0; tries < 12; tries++) {
      const damped = jtj.map((row, a) => row.map((v, b) => (a === b ? v * (1 + lambda) + 1e-9 : v)));
      const step = solve(damped, jtr);
      const next = z.map((v, i) => Math.max(-30, Math.min(30, v + step[i]!)));
      const r = residuals(withValues(params, names, next), rows);
      if (sumSq(r) < sumSq(cur)) {
        const gain = sumSq(cur) - sumSq(r);
        z = next;
        cur = r;
        lambda = Math.max(1e-7, lambda / 3);
        improved = gain > 1e-12;
        break;
      }
      lambda *= 4;
    }
    if (!improved) break;
  }
  const out = withValues(params, names, z);
  for (const n of names) out.parameters[n] = { ...out.parameters[n]!, value: round(out.parameters[n]!.value) };
  cur = residuals(out, rows);
  const rowResults = rows.map((r) => {
    const predicted = r.predict(out);
    return { id: r.id, published: r.value, predicted: round(predicted), unit: r.unit, errorPct: round((100 * (predicted - r.value)) / r.value) };
  });
  const rms = Math.sqrt(sumSq(cur) / rows.length);
  return {
    params: { ...out, fit: { method: 'least squares on log-values (log predicted − log measured), Levenberg–Marquardt over the parameters with fit bounds, searched in log-space inside their bounds', rows: rowResults, rmsLogError: round(rms), on: options.on } },
    rows: rowResults,
    rmsLogError: rms,
    iterations: it,
  };
}

function round(x: number): number {
  return Number(x.toPrecision(5));
}
