import { REFERENCE_KEY } from './reference-key.js';

/**
 * The reference tags a rule's `ref` cites: "L-RESIZE Z2, Z3" → ["L-RESIZE Z2", "L-RESIZE Z3"],
 * "MaxPool row (P86)" → ["MaxPool row", "P86"], "2c RECON rows, 3" → ["2c", "3"]. Words that are no tag
 * ("heuristic", "CONFLICT", "—") are left out.
 */
export function referenceTags(ref: string): string[] {
  const tags: string[] = [];
  let ruleSet: string | undefined;
  const push = (tag: string): void => {
    if (!tags.includes(tag)) tags.push(tag);
  };
  for (const raw of ref.split(/[,;]\s*/)) {
    const inner = [...raw.matchAll(/\(([^)]+)\)/g)].map((m) => m[1]!.trim());
    const part = raw.replace(/\([^)]*\)/g, '').trim();
    const set = /^(L-[A-Z]+)(?:\s+(.+))?$/.exec(part);
    if (set) {
      ruleSet = set[1]!;
      push(set[2] === undefined ? ruleSet : `${ruleSet} ${set[2]}`);
    } else if (/^[A-Z]{1,2}\d+$/.test(part) && !/^[GP]\d+$/.test(part) && ruleSet !== undefined) push(`${ruleSet} ${part}`);
    else if (/^\d+[a-z]?\b/.test(part)) push(/^\d+[a-z]?/.exec(part)![0]);
    else if (part !== '' && part !== '—') push(part);
    for (const i of inner) if (REFERENCE_KEY[i] !== undefined) push(i);
  }
  return tags;
}

/** Each tag a rule's `ref` cites with what the reference says about it (undefined where the key lacks it). */
export function explainReference(ref: string): { tag: string; text: string | undefined }[] {
  return referenceTags(ref).map((tag) => ({ tag, text: REFERENCE_KEY[tag] }));
}
