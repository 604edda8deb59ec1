import data from './fit-workloads.json' with { type: 'json' };
import { stageLatency, type CostSettings } from './latency.js';
import type { LatencyParams } from './params.js';
import { partitionAt } from './partition.js';
import { pipelineCost } from './pipeline.js';
import type { Workload } from './workload.js';

/**
 * The published Orin measurements the latency model is fitted on (issue 11's list, and nothing else),
 * each with the workload it refers to and how the model predicts it. The workloads are the per-layer
 * cost tables of fit-workloads.json (scripts/gen-orin-workloads.ts builds the architectures with
 * tandem's builders). Other published rows are kept out of the fit so they can check it.
 */

export interface PublishedRow {
  readonly id: string;
  readonly what: string;
  readonly source: string;
  readonly value: number;
  readonly unit: 'ms' | 'fps';
  readonly predict: (params: LatencyParams) => number;
}

interface FitData {
  readonly workloads: Readonly<Record<'multitask' | 'yolov5s' | 'resnet50' | 'retinanet' | 'ssd', Workload>>;
  readonly cuts: { readonly multitask: readonly number[] };
}

/** The workloads behind the published rows (per-layer cost tables). */
export const FIT_DATA = data as unknown as FitData;

const WEBINAR = "NVIDIA webinar 'Optimizing Multi-task Model Inference for Autonomous Vehicles' (seed 004): DRIVE Orin-X, DRIVE OS 6.0.9, TensorRT 8.6.12, trtexec; 1024x1024 input per NVIDIA's mtmi README";
const CUDLA = 'NVIDIA-AI-IOT/cuDLA-samples README: YOLOv5s 672x672, Orin, TensorRT 8.6, DLA 3.14, trtexec median';
const DLASW = 'NVIDIA DLA-SW README (Deep-Learning-Accelerator-SW), dense table: Jetson AGX Orin 64GB, JetPack 5.1.1, 2 DLAs, MAXN';

const multitask = FIT_DATA.workloads.multitask;
const parts = partitionAt(multitask, FIT_DATA.cuts.multitask);
const [segHead, depthHead] = [parts.heads[0]!, parts.heads[1]!];

function webinar(params: LatencyParams): CostSettings {
  return { params, platform: 'drive-orin-x' };
}

/** Throughput of one model on both DLA cores at once (two frames in flight, DRAM shared). */
function twoDlaFps(w: Workload, batch: number, params: LatencyParams): number {
  const cost = stageLatency(w, undefined, 'dla', 'int8', { params, batch });
  const r = pipelineCost(
    [
      { name: 'a', engine: 'dla0', cost, after: [] },
      { name: 'b', engine: 'dla1', cost, after: [] },
    ],
    params,
  );
  return 2 * r.fps;
}

function yolo(engine: 'gpu' | 'dla', batch: number, value: number): PublishedRow {
  return {
    id: `cudla.yolov5s.${engine}-int8.bs${batch}`,
    what: `YOLOv5s 672x672 INT8 on the ${engine === 'gpu' ? 'GPU' : 'DLA'}, batch ${batch} (ms per batch)`,
    source: CUDLA,
    value,
    unit: 'ms',
    predict: (params) => stageLatency(FIT_DATA.workloads.yolov5s, undefined, engine, 'int8', { params, batch }).latencyMs,
  };
}

export const PUBLISHED_ROWS: readonly PublishedRow[] = [
  {
    id: 'webinar.whole.gpu-fp16',
    what: 'multi-task model, whole, FP16 on the GPU (ms)',
    source: WEBINAR,
    value: 38.923,
    unit: 'ms',
    predict: (params) => stageLatency(multitask, undefined, 'gpu', 'fp16', webinar(params)).latencyMs,
  },
  {
    id: 'webinar.backbone.gpu-fp16',
    what: 'backbone FP16 on the GPU (ms)',
    source: WEBINAR,
    value: 28.136,
    unit: 'ms',
    predict: (params) => stageLatency(multitask, parts.trunk, 'gpu', 'fp16', webinar(params)).latencyMs,
  },
  {
    id: 'webinar.seg-head.dla-int8',
    what: 'segmentation head INT8 on a DLA (ms)',
    source: WEBINAR,
    value: 20.749,
    unit: 'ms',
    predict: (params) => stageLatency(multitask, segHead, 'dla', 'int8', webinar(params)).latencyMs,
  },
  {
    id: 'webinar.depth-head.dla-int8',
    what: 'depth head INT8 on a DLA (ms)',
    source: WEBINAR,
    value: 17.555,
    unit: 'ms',
    predict: (params) => stageLatency(multitask, depthHead, 'dla', 'int8', webinar(params)).latencyMs,
  },
  {
    id: 'webinar.pipelined.fps',
    what: 'pipelined app: backbone FP16 GPU, heads INT8 on DLA0 / DLA1 (+33% over GPU-only 25.692 fps)',
    source: `${WEBINAR}; the talk gives +33% and 29.237 ms per frame (1000 / 29.237 = 34.2 fps)`,
    value: 25.692 * 1.33,
    unit: 'fps',
    predict: (params) => webinarPipeline(params).fps,
  },
  yolo('dla', 1, 3.82),
  yolo('dla', 4, 15.17),
  yolo('dla', 16, 62.54),
  yolo('gpu', 1, 1.82),
  yolo('gpu', 4, 4.99),
  yolo('gpu', 16, 16.87),
  {
    id: 'dlasw.resnet50.2dla-int8.bs2',
    what: 'ResNet-50 224x224 INT8, batch 2, both DLAs (img/s)',
    source: DLASW,
    value: 2037,
    unit: 'fps',
    predict: (params) => twoDlaFps(FIT_DATA.workloads.resnet50, 2, params),
  },
  {
    id: 'dlasw.retinanet-resnext50.2dla-int8',
    what: 'RetinaNet ResNeXt-50 800x800 INT8, batch 1, both DLAs (img/s)',
    source: DLASW,
    value: 78,
    unit: 'fps',
    predict: (params) => twoDlaFps(FIT_DATA.workloads.retinanet, 1, params),
  },
  {
    id: 'dlasw.ssd-resnet34.2dla-int8',
    what: 'SSD-ResNet-34 1200x1200 INT8, batch 1, both DLAs (img/s)',
    source: DLASW,
    value: 83,
    unit: 'fps',
    predict: (params) => twoDlaFps(FIT_DATA.workloads.ssd, 1, params),
  },
];

/** The webinar's hand placement of the multi-task model, scored as a pipeline. */
export function webinarPipeline(params: LatencyParams): ReturnType<typeof pipelineCost> {
  const s = webinar(params);
  return pipelineCost(
    [
      { name: 'backbone', engine: 'gpu', cost: stageLatency(multitask, parts.trunk, 'gpu', 'fp16', s), after: [] },
      { name: 'seg_head', engine: 'dla0', cost: stageLatency(multitask, segHead, 'dla', 'int8', s), after: ['backbone'] },
      { name: 'depth_head', engine: 'dla1', cost: stageLatency(multitask, depthHead, 'dla', 'int8', s), after: ['backbone'] },
    ],
    params,
  );
}
