/** plan/import/: trtexec logs and --exportTimes / --exportProfile JSON from the target, back into tandem (measured vs modelled, refit). */
export { importResults, readBundleManifest, refitFromResults, writeImportResults, type ImportResult, type MeasuredRun, type StageResult } from './import-results.js';
export { parseExportProfile, parseExportTimes, parseTrtexecLog, type LayerProfile, type TimingStats, type TraceEntry, type TrtexecLog } from './trtexec-log.js';
