/**
 * Regenerates src/plan/cost/fit-workloads.json: the per-layer cost tables (MACs, elements read and
 * written, weights, fusion, DLA verdict and region) of the architectures behind the published Orin rows
 * the latency model is fitted on, built with tandem's own builders (random weights: latency does not
 * depend on them). Run: npm run gen:orin-workloads (takes ~30 s: the detectors' weights are generated).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildMultitask, buildResNet50, buildRetinaNetResNeXt50, buildSsdResNet34, buildYoloV5s, MULTITASK_IO } from '../src/models/index.js';
import { prepareModel } from '../src/passes/index.js';
import { cutLayersOf, modelWorkload, type Workload } from '../src/plan/cost/index.js';

const out = fileURLToPath(new URL('../src/plan/cost/fit-workloads.json', import.meta.url));
const round = (w: Workload): Workload => w;
const t0 = Date.now();
// the webinar's model at 1024x1024 (NVIDIA mtmi README) with the heads as prepare leaves them for the DLA
const mt = prepareModel(buildMultitask({ height: 1024, width: 1024 }), { target: 'orin-dla', precision: 'int8' }).model;
const multitask = modelWorkload(mt, { name: 'multitask-1024' });
const doc = {
  generatedBy: 'scripts/gen-orin-workloads.ts',
  workloads: {
    multitask: round(multitask),
    yolov5s: round(modelWorkload(buildYoloV5s(), { name: 'yolov5s-672' })),
    resnet50: round(modelWorkload(buildResNet50({ foldBatchNorm: true }), { name: 'resnet50-224' })),
    retinanet: round(modelWorkload(buildRetinaNetResNeXt50(), { name: 'retinanet-resnext50-800' })),
    ssd: round(modelWorkload(buildSsdResNet34(), { name: 'ssd-resnet34-1200' })),
  },
  cuts: { multitask: cutLayersOf(mt, multitask, MULTITASK_IO.features) },
};
writeFileSync(out, `${JSON.stringify(doc)}\n`);
console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
