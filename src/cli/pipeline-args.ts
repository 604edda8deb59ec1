import { isPlanPath } from '../io/stage-file/index.js';

export { isPlanPath };

/** An AbortSignal that fires on Ctrl-C while `fn` runs (the pipeline then stops and keeps finished frames). */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
