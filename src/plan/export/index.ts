/** plan/export/: the bundle to build and measure a plan on an Orin with trtexec (per TensorRT version). */
export { exportBundle, type BundleFile, type BundleManifest, type ExportOptions } from './bundle.js';
export { benchScript, buildArgs, buildScript, bundleReadme, type StageBuild } from './scripts.js';
export { TRTEXEC_FLAGS, TRT_EXPORT_VERSIONS, parseTrtVersion, type TrtExportVersion, type TrtexecFlags } from './trtexec-flags.js';
