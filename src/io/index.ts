/**
 * io/: tensor file formats (.npy, .npz). Imports ir/, onnx/ (file errors) and util/.
 */
export * from './npy.js';
