import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tandem from '../../src/index.js';
import { publicDeclarations } from './public-declarations.js';

/**
 * The runtime names of `'tandem'`, pinned: a new export is a decision made here (and documented), not a
 * side effect of `export *`. Types are not runtime names; they are covered by the doc-comment checks
 * below and by the consumer test.
 */
const RUNTIME_EXPORTS = [
  // errors
  'TandemError', 'isTandemError',
  // ir/
  'DATA_TYPES', 'DEFAULT_IR_VERSION', 'Graph', 'GraphBuilder', 'Model', 'Node', 'Tensor',
  'buildModel', 'checkGraph', 'isDataType', 'tensorFromValues', 'tensorValues',
  // onnx/, io/
  'decodeModel', 'encodeModel', 'loadModel', 'saveModel',
  'decodeNpy', 'decodeNpz', 'encodeNpy', 'encodeNpz', 'readNpy', 'readNpz',
  // models/
  'MULTITASK_IO', 'REFERENCE_MODEL_NAMES', 'buildMultitask', 'buildResNet50', 'buildYoloV5s', 'getReferenceModel',
  // inspect/, ops/
  'inferShapes', 'inspectModel', 'modelCost',
  // targets/
  'TARGETS', 'analyze', 'getTarget', 'opSupportTable', 'ruleTable', 'targetMarkdown',
  // passes/
  'PASS_NAMES', 'extractSubgraph', 'fixInputDims', 'prepareModel', 'pruneTwoFour', 'splitModel', 'writeSplit',
  // io/stage-file
  'HOST_ENGINES', 'STAGE_FILE_VERSION', 'TARGET_ENGINES', 'readPlan', 'readSplit', 'readStageFile', 'writePlan',
  // quant/
  'CALIBRATION_METHODS', 'arraySource', 'compareCalibrators', 'compareFidelity', 'convertToFloat16', 'loadSplitStages', 'modelInputSpecs',
  'extractQdqPlan', 'imageToPixels', 'openCalibrationFolder', 'packPixels', 'quantize', 'quantizeStages', 'readCalibrationCache', 'translateQdq', 'translateQdqFile',
  'writeCalibrationCache', 'writeQuantizeStages', 'writeStageArtifacts',
  // plan/
  'COST_BASIS', 'ORIN_PARAMS', 'PIPELINE_ENGINES', 'POWER_MODES', 'TRT_EXPORT_VERSIONS', 'costModel', 'costStageFile',
  'exportBundle', 'importResults', 'pipelineCost', 'planDeployment', 'readLatencyParams', 'refitFromResults', 'searchPlacement',
  'searchStagePins', 'writeImportResults',
  // runtime/
  'ENGINE_NAMES', 'benchPipeline', 'profilePlan', 'buildTrace', 'checkEquivalent', 'convertToFloat16Checked', 'createFunctionPipeline',
  'detectHostEngines', 'getEngine', 'modelPlan', 'openFrameSource', 'openPipeline', 'prepareAndVerify', 'probeEngine',
  'pruneTwoFourChecked', 'randomInputs', 'runFrames', 'runOnce', 'setOnnxruntimeLogLevel',
  // eval/
  'checkSensitivityTarget', 'cityscapesDataset', 'evaluate', 'evaluateSensitivity', 'imageFolderDataset', 'keepFp16ForSplit', 'mergeEvalParts', 'openDatasetSpec', 'openEvalTarget',
  'readEvalPart', 'readModelTasks', 'summarizeEval', 'syntheticDataset', 'writeKeepFp16Results', 'writeScenes',
  // report/
  'REPORT_SECTIONS', 'buildReport', 'loadReportInputs', 'writeReport',
];

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('public API', () => {
  it('exports exactly the pinned runtime names', () => {
    const actual = Object.keys(tandem).sort();
    const expected = [...RUNTIME_EXPORTS].sort();
    assert.deepEqual(
      { added: actual.filter((n) => !expected.includes(n)), missing: expected.filter((n) => !actual.includes(n)) },
      { added: [], missing: [] },
      'src/index.ts and RUNTIME_EXPORTS disagree: export on purpose, then add the name here',
    );
  });

  it('every name src/index.ts exports resolves to one source declaration', () => {
    const decls = publicDeclarations(SRC);
    const names = decls.map((d) => d.name);
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], 'a name exported twice');
    for (const n of RUNTIME_EXPORTS) assert.ok(names.includes(n), `${n} is not found among the declarations`);
  });
});
