import { printable } from './text.js';

/** What a file is, from its first bytes (and, for JSON, its `kind`): enough to say "this is not a model, it is …". */
export type FileKind = 'onnx-or-unknown' | 'split-manifest' | 'plan' | 'json' | 'npy' | 'zip' | 'png' | 'jpeg' | 'text';

/** Bytes of a file's start that sniffFileKind reads. */
export const SNIFF_BYTES = 4096;

/** The first bytes of a .npy file (`\x93NUMPY`); io/npy reads and writes them. */
export const NPY_MAGIC: readonly number[] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** The eight bytes every PNG starts with. */
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `head` begins with `magic`. */
export const startsWith = (head: Uint8Array, magic: readonly number[]): boolean => magic.every((b, i) => head[i] === b);

/**
 * The kind of a file from its first bytes (up to SNIFF_BYTES). ONNX protobuf has no magic number, so
 * anything not recognised here is 'onnx-or-unknown' and goes to the decoder; the kinds recognised are
 * those a user gives by mistake where a model is expected (a split.json or plan.json, input arrays,
 * images, a README). A protobuf message is never all printable text: its field tags and lengths are
 * control bytes.
 */
export function sniffFileKind(head: Uint8Array): FileKind {
  if (startsWith(head, NPY_MAGIC)) return 'npy';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'zip'; // PK: .npz
  if (startsWith(head, PNG_SIGNATURE)) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (head.length < 4 || !isText(head)) return 'onnx-or-unknown';
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) {
    const kind = /"kind"\s*:\s*"(split|plan)"/.exec(text)?.[1];
    return kind === 'split' ? 'split-manifest' : kind === 'plan' ? 'plan' : 'json';
  }
  return 'text';
}

/** True when every byte is printable ASCII, a tab/newline/CR, or part of valid UTF-8 (a cut-off last character allowed). */
function isText(head: Uint8Array): boolean {
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f)) continue;
    const extra = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (extra < 0) return false;
    for (let k = 1; k <= extra; k++) {
      if (i + k >= head.length) return true;
      if ((head[i + k]! & 0xc0) !== 0x80) return false;
    }
    i += extra;
  }
  return true;
}

/**
 * What to say when a file of `kind` was given where an ONNX model is expected; undefined where the
 * decoder should try (and report) it.
 */
export function notAModelMessage(path: string, kind: FileKind): string | undefined {
  const p = printable(path);
  switch (kind) {
    case 'split-manifest':
      return `${p} is a split manifest (split.json from tandem split), not an ONNX model; quantize, plan and cost take it as it is — to run or bench it, make a plan first: tandem plan ${p} --target host -o plan/, then tandem run plan/plan.json`;
    case 'plan':
      return `${p} is a deployment plan (plan.json from tandem plan), not an ONNX model; give it to tandem run, bench, eval, cost or export, which take a plan — or give one of its stage models (.onnx) here`;
    case 'json':
      return `${p} is a JSON file, not an ONNX model; give an .onnx file (tandem split and tandem plan write split.json / plan.json, which run, bench, quantize and plan take where they say so)`;
    case 'npy':
      return `${p} is a NumPy array (.npy), not an ONNX model; arrays are input or calibration data: tandem run <model.onnx> --input <name>=${p}, or a folder of them for --calib`;
    case 'zip':
      return `${p} is a zip archive (an .npz of arrays?), not an ONNX model; .npz files are input or calibration data: give a folder of them to --calib, or to tandem run <plan> --input`;
    case 'png':
    case 'jpeg':
      return `${p} is a ${kind === 'png' ? 'PNG' : 'JPEG'} image, not an ONNX model; images are calibration or evaluation data: give their folder to --calib, --input or --dataset folder:<dir>`;
    case 'text':
      return `${p} is a text file, not an ONNX model (an ONNX model is binary protobuf); check the path — the model is the .onnx file your exporter wrote (torch.onnx.export, tf2onnx, tandem split)`;
    case 'onnx-or-unknown':
      return undefined;
  }
}
