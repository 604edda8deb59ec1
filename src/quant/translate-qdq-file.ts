import { basename } from 'node:path';
import { TandemError } from '../util/errors.js';
import { assertOutputsFree, checkOutputDir, writeFileAtomic, writeFolder } from '../util/fs.js';
import { printable } from '../util/text.js';
import { fixInputDims } from '../passes/fix-input-dims.js';
import { loadModel, modelFiles, saveModel, savedModelFiles } from '../onnx/load-save.js';
import { trtVersionNumber, writeCalibrationCache } from './calibration-cache.js';
import { layerPrecisionsArg, precisionConfig, translateQdq, translationPaths, type TranslateQdqOptions, type TranslateQdqResult } from './translate-qdq.js';

/** Options of `translateQdqFile`: the translation options plus where to write and for which TensorRT. */
export interface TranslateQdqFileOptions extends TranslateQdqOptions {
  /** Output folder: `<name>_noqdq.onnx`, `<name>_precision_config.json`, `…_calib.cache`, `…_layer_arg.txt`. */
  out: string;
  /** TensorRT version that reads the cache ("8.6.1", "10.3.0", or a header number); a wrong major version makes TensorRT ignore it. */
  trtVersion: string | number;
  /** Sizes for symbolic input dims, fixed in the written model (passes/fixInputDims). @default {} */
  dims?: Readonly<Record<string, number>>;
}

/**
 * translateQdq on a model file, with its outputs written as one set into `out` (never over an input):
 * the model without Q/DQ, the precision config, the calibration cache and trtexec's --layerPrecisions.
 */
export function translateQdqFile(input: string, options: TranslateQdqFileOptions): TranslateQdqResult & { readonly files: ReturnType<typeof translationPaths> } {
  const { out, trtVersion, dims, ...translate } = options;
  if (typeof trtVersion === 'string') trtVersionNumber(trtVersion);
  checkOutputDir(out);
  const base = basename(input).replace(/\.onnx$/i, '');
  const files = translationPaths(out, base);
  const loaded = loadModel(input);
  const model = dims === undefined ? loaded : fixInputDims(loaded, dims);
  if (!model.graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear')) {
    throw new TandemError(
      'QDQ_MODEL',
      `${printable(input)} has no QuantizeLinear/DequantizeLinear nodes, so there is nothing to translate; give a Q/DQ model (a QAT export, or tandem quantize's <stage>.qdq.onnx), or calibrate this float model with tandem quantize`,
    );
  }
  assertOutputsFree([...savedModelFiles(files.model), files.config, files.cache, files.layerArg], modelFiles(model, input));
  const r = translateQdq(model, translate);
  writeFolder(out, (dir) => {
    const staged = translationPaths(dir.at(''), base);
    saveModel(r.model, staged.model);
    writeFileAtomic(staged.config, `${JSON.stringify(precisionConfig(r), null, 4)}\n`);
    writeFileAtomic(staged.cache, writeCalibrationCache(r.scales, { trtVersion }));
    writeFileAtomic(staged.layerArg, layerPrecisionsArg(r.fp16Nodes));
  });
  return { ...r, files };
}
