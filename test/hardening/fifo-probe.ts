/**
 * Run as a child process by readers.test.ts: opens each non-regular file through every reader and
 * prints one JSON line per reader with the error code. A reader that hangs never prints (the parent
 * times out), which is the failure this guards against.
 */
import { readNpy, readNpz } from '../../src/io/npy.js';
import { loadModel } from '../../src/onnx/load-save.js';
import { readStageFile } from '../../src/io/stage-file/index.js';
import { imageToTensor, resolveImagePreprocess } from '../../src/quant/image-preprocess.js';
import { isTandemError } from '../../src/util/errors.js';

const [path] = process.argv.slice(2);
const readers: Record<string, () => unknown> = {
  loadModel: () => loadModel(path!),
  readNpy: () => readNpy(path!),
  readNpz: () => readNpz(path!),
  readStageFile: () => readStageFile(path!),
  image: () => imageToTensor(path!, resolveImagePreprocess({}, [1, 3, 4, 4], 'x')),
};
for (const [name, read] of Object.entries(readers)) {
  let outcome: string;
  try {
    await read();
    outcome = 'ok';
  } catch (e) {
    outcome = isTandemError(e) ? `${e.code}: ${e.message}` : `crash: ${String(e)}`;
  }
  console.log(JSON.stringify({ name, outcome }));
}
