/**
 * plan/: deployment plans — which engine and precision each stage runs at, and the tensors between
 * stages (written as plan.json through io/stage-file); the orin layout over a roofline cost model
 * (cost/), the host choice from timings, and boundary quantization of INT8 hand-offs. Imports quant/ and
 * everything below; never runtime/ (engines are injected) and never prints.
 */
export * from './boundary-quantization.js';
export * from './cost/orin-roofline.js';
export * from './host-choice.js';
export * from './orin-layout.js';
export * from './plan-deployment.js';
export { randomFeeds } from './random-feeds.js';
