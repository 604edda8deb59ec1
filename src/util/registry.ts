import { TandemError } from './errors.js';
import { quote } from './text.js';

/**
 * A named table filled in one place (targets, passes, calibrators, engines, reference models). Nothing
 * registers itself on import and nothing is added later: a registry is frozen when it is made, so a
 * lookup gives the same answer everywhere. A miss is one `UNKNOWN_NAME` message for every kind.
 */
export interface Registry<N extends string, T> {
  /** What the entries are, singular, as messages name them: `target`, `pass`, `engine`. */
  readonly kind: string;
  /** The names, in the order they were given. */
  readonly names: readonly N[];
  /** Whether `name` is an entry (inherited object keys such as `toString` are not). */
  has(name: string): name is N;
  /** The entry of that name. Throws TandemError `UNKNOWN_NAME` listing the names that exist. */
  get(name: string): T;
  /** The entry of that name, or undefined. */
  find(name: string): T | undefined;
  /** Every entry, in name order. */
  list(): readonly T[];
  entries(): readonly (readonly [N, T])[];
}

export interface RegistryOptions {
  /** A remedy appended to the miss message after the list (`see tandem targets`). */
  readonly hint?: string;
}

/** A registry of `kind` over the entries, in the order given; the entries are copied and frozen. */
export function createRegistry<const E extends Readonly<Record<string, unknown>>>(
  kind: string,
  entries: E,
  options: RegistryOptions = {},
): Registry<keyof E & string, E[keyof E & string]> {
  type N = keyof E & string;
  type T = E[N];
  const map = new Map<string, T>(Object.entries(entries) as [N, T][]);
  const names = Object.freeze([...map.keys()] as N[]);
  const has = (name: string): name is N => map.has(name);
  return Object.freeze({
    kind,
    names,
    has,
    find: (name: string): T | undefined => map.get(name),
    get(name: string): T {
      const entry = map.get(name);
      if (entry === undefined && !map.has(name)) throw unknownNameError(kind, name, names, options.hint);
      return entry as T;
    },
    list: (): readonly T[] => [...map.values()],
    entries: (): readonly (readonly [N, T])[] => [...map.entries()] as [N, T][],
  });
}

/**
 * The one message for a name that does not exist: `unknown target "orin-dl"; known: orin-dla, gpu, cpu
 * (did you mean "orin-dla"?)`, with `hint` after it. `details` carries kind, name and known for machines.
 */
export function unknownNameError(kind: string, name: string, known: readonly string[], hint?: string): TandemError {
  const guess = closestName(name, known);
  const message =
    `unknown ${kind} ${quote(name)}; known: ${known.length > 0 ? known.join(', ') : '(none)'}` +
    (guess === undefined ? '' : ` (did you mean ${quote(guess)}?)`) +
    (hint === undefined ? '' : `; ${hint}`);
  return new TandemError('UNKNOWN_NAME', message, { details: { kind, name, known: [...known] } });
}

/**
 * The known name `name` is most likely a misspelling of: the nearest by edit distance (case ignored)
 * within a third of its length (at least 2), or the one it is a prefix of; undefined when none is close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const n = name.toLowerCase();
  if (n.length === 0 || n.length > 100) return undefined;
  const limit = Math.max(2, Math.floor(n.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const k of known) {
    const lower = k.toLowerCase();
    const d = editDistance(n, lower);
    const score = d <= limit ? d : n.length >= 3 && lower.startsWith(n) ? limit + 1 : Infinity;
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
