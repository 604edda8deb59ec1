import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { DATA_TYPES, type DataType } from '../../ir/dtype.js';
import { HOST_ENGINES, INPUT_ENCODINGS, OUTPUT_FORMS, STAGE_FILE_VERSION, TARGET_ENGINES } from './types.js';

/**
 * zod schemas of split.json (versions 1 and 2) and plan.json (version 2): the shape of each field.
 * How the fields fit together (tensors that connect, no cycles, files that exist) is checked in
 * validate.ts once the shape is right.
 */

/** A stage name is used as a file name: letters, digits, '.', '_' and '-', not starting with '.'. */
export const STAGE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_NAME = 200;

const stageName = z
  .string()
  .min(1, 'is empty; a stage needs a name')
  .max(MAX_NAME, `is longer than ${MAX_NAME} characters`)
  .regex(STAGE_NAME, 'is not a safe file name: use letters, digits, ".", "_" and "-", not starting with "."');

/** A path relative to the document's folder that stays inside it (symlinks are resolved on load). */
const relativePath = (what: string) =>
  z
    .string()
    .min(1, `is empty; give the ${what} relative to this file`)
    .refine((f) => !f.includes('\0'), 'holds a NUL character')
    .refine((f) => !isAbsolute(f) && !/^[A-Za-z]:/.test(f), 'is an absolute path; stage files are relative to the folder of this file')
    .refine((f) => !normalize(f).split(/[\\/]/).includes('..'), 'leaves the folder of this file ("..")');
const relativeFile = relativePath('stage model file');

const tensorName = z.string().min(1, 'is an empty tensor name');
const dim = z.union([z.number().int().nonnegative(), z.string(), z.null()]);
const dtype = z.enum(Object.keys(DATA_TYPES) as [DataType, ...DataType[]]);
const stageKind = z.enum(['backbone', 'head', 'postprocess']);

const splitStage = z.object({
  name: stageName,
  file: relativeFile,
  kind: stageKind,
  inputs: z.array(tensorName),
  outputs: z.array(tensorName).min(1, 'is empty; a stage computes at least one tensor'),
});

const tensor = z.object({
  name: tensorName,
  dtype: dtype.nullable(),
  shape: z.array(dim).nullable(),
  from: z.string().nullable(),
  to: z.array(z.string()),
  modelOutput: z.boolean(),
});

const version = z.number().int().min(1).max(STAGE_FILE_VERSION, `is newer than this tandem reads (up to ${STAGE_FILE_VERSION}); update tandem`);

/** split.json as tandem split wrote it before plans existed: `kind` and `tensors` may be missing. */
export const SPLIT_V1 = z.object({
  version: z.literal(1),
  source: z.string().optional(),
  cut: z.array(tensorName).default([]),
  stages: z.array(splitStage.extend({ kind: stageKind.optional() })).min(1, 'is empty; a split has at least one stage'),
  tensors: z.array(tensor).default([]),
});

export const SPLIT_V2 = z.object({
  version: z.literal(STAGE_FILE_VERSION),
  kind: z.literal('split'),
  source: z.string().optional(),
  cut: z.array(tensorName),
  stages: z.array(splitStage).min(1, 'is empty; a split has at least one stage'),
  tensors: z.array(tensor),
});

const engine = z.enum([...HOST_ENGINES, ...TARGET_ENGINES], { error: `is not an engine; engines: host ${HOST_ENGINES.join(', ')}; orin ${TARGET_ENGINES.join(', ')}` });

const planStage = splitStage.extend({
  engine,
  precision: z.enum(['fp32', 'fp16', 'int8']),
  engineOptions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  choice: z.object({
    how: z.enum(['layout', 'measured', 'modelled', 'pinned']),
    reason: z.string(),
    timingsMs: z.record(z.string(), z.number().nonnegative()).optional(),
  }),
  calibrationCache: relativePath('TensorRT calibration cache').optional(),
  scales: relativePath('scales.json').optional(),
});

const quantization = z.object({
  dtype: z.literal('int8'),
  scale: z.number().positive('must be a positive finite scale').finite(),
  zeroPoint: z.literal(0, { error: 'must be 0: TensorRT and the DLA take symmetric INT8 only' }),
});

export const PLAN_V2 = z.object({
  version: z.literal(STAGE_FILE_VERSION),
  kind: z.literal('plan'),
  target: z.enum(['host', 'orin']),
  source: z.string().optional(),
  cut: z.array(tensorName),
  stages: z.array(planStage).min(1, 'is empty; a plan has at least one stage'),
  tensors: z.array(tensor.extend({ quantization: quantization.optional() })),
  io: z
    .object({
      input: z
        .object({
          name: tensorName,
          encoding: z.enum(INPUT_ENCODINGS.filter((e) => e !== 'float') as ['uint8-hwc', 'uint8-chw', 'rgba-uint32']),
          mean: z.array(z.number().finite()),
          std: z.array(z.number().finite().refine((x) => x !== 0, 'must not be 0')),
          scale: z.number().finite(),
        })
        .optional(),
      outputs: z.record(z.string(), z.enum(OUTPUT_FORMS.filter((f) => f !== 'float') as ['argmax', 'fp16'])).optional(),
    })
    .optional(),
  selection: z
    .object({
      how: z.enum(['pipelined', 'stage-times']),
      candidates: z.array(z.object({ engines: z.record(z.string(), z.string()), predictedFps: z.number().nonnegative(), measuredFps: z.number().nonnegative().optional(), error: z.string().optional() })),
      chosen: z.number().int().nonnegative(),
    })
    .optional(),
});

/** Just enough to tell which schema applies. */
export const HEADER = z.object({
  version: version,
  kind: z.enum(['split', 'plan']).optional(),
});
