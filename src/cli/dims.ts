import type { Model } from '../ir/model.js';
import { fixInputDims } from '../passes/index.js';
import type { Shape } from '../ir/types.js';
import { quote } from '../util/text.js';

/** The declared shapes of a model's runtime inputs. */
export function inputShapes(model: Model): (Shape | undefined)[] {
  return model.graph.runtimeInputs.map((name) => {
    const t = model.graph.value(name)?.type;
    return t?.kind === 'tensor' ? t.shape : undefined;
  });
}

/**
 * Warnings for --dims entries that change nothing: a name no input dim has, or any --dims on a model
 * whose inputs are all static. Silence here would let a typo pass as a setting.
 */
export function unusedDimsNotes(model: Model, dims: Readonly<Record<string, number>>): string[] {
  const shapes = inputShapes(model);
  const names = new Set<string>();
  for (const s of shapes) for (const d of s ?? []) if (typeof d === 'string') names.add(d);
  const given = Object.keys(dims);
  if (given.length === 0) return [];
  if (names.size === 0) return [`warning: --dims ${given.map((n) => quote(n)).join(', ')} has no effect: the model's inputs have no symbolic dims`];
  const unknown = given.filter((n) => !names.has(n));
  if (unknown.length === 0) return [];
  return [`warning: --dims ${unknown.map((n) => quote(n)).join(', ')}: no input of the model has ${unknown.length === 1 ? 'this dim' : 'these dims'} (ignored); its symbolic dims: ${[...names].map((n) => quote(n)).join(', ')}`];
}

/**
 * What `--dims` does for a command that hands the model on: the warnings above, then a copy with those
 * symbolic dims fixed (passes/fix-input-dims). Without `dims`, the model itself.
 */
export function withDims(model: Model, dims: Readonly<Record<string, number>> | undefined, note: (line: string) => void): Model {
  if (dims === undefined) return model;
  for (const line of unusedDimsNotes(model, dims)) note(line);
  return fixInputDims(model, dims);
}
