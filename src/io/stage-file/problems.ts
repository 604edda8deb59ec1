import { TandemError } from '../../util/errors.js';

/** One thing wrong in a stage file: where (a JSON path such as `stages[2].file`) and what. */
export interface StageFileProblem {
  readonly path: string;
  readonly message: string;
}

/** Names from a file are quoted by the one helper every message uses. */
export { quote } from '../../util/text.js';
import { quote } from '../../util/text.js';

/** The most problems one error message lists; the rest are counted (all of them are in `details`). */
const MAX_LISTED = 50;

/** One error for every problem found in a stage file. */
export function stageFileError(file: string, problems: readonly StageFileProblem[], what: string): TandemError {
  const listed = problems.slice(0, MAX_LISTED).map((p) => `  ${p.path === '' ? '(document)' : p.path}: ${p.message}`);
  if (problems.length > MAX_LISTED) listed.push(`  ... and ${problems.length - MAX_LISTED} more`);
  return new TandemError(
    'STAGE_FILE',
    `${quote(file)} is not a valid ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${listed.join('\n')}\nfix these, or write the file again with tandem split / tandem plan`,
    { details: { file, problems } },
  );
}
