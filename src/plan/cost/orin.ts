import shipped from './orin-params.json' with { type: 'json' };
import { parseLatencyParams, type LatencyParams } from './params.js';

/** The shipped Orin parameters (src/plan/cost/orin-params.json), checked against the schema on load. */
export const ORIN_PARAMS: LatencyParams = parseLatencyParams(shipped, 'src/plan/cost/orin-params.json');
