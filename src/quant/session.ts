import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';

/**
 * What quant/ needs to run a model: a session that computes named outputs. quant/ may not import
 * runtime/; an `Engine` from runtime/engines (e.g. `getEngine('cpu')`) satisfies this structurally.
 */
export interface QuantSession {
  run(feeds: Readonly<Record<string, Tensor>>, options: { outputs: readonly string[] }): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

/** What quantize and planDeployment open sessions with: `getEngine('cpu')` is one. */
export interface SessionOpener {
  open(model: Model): Promise<QuantSession>;
}
