import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Reads src/index.ts's `export { ... } from './x.js'` lines and finds, for every exported name, the
 * source declaration it refers to (following re-exports) with the doc comment just above it. Text based
 * on purpose: TypeScript 7 has no compiler API to ask, and the sources are written in one style.
 */
export interface PublicDeclaration {
  /** The name users import. */
  readonly name: string;
  /** `function`, `class`, `interface`, `type`, `const`. */
  readonly kind: string;
  /** Source file, relative to the repository root. */
  readonly file: string;
  /** The `/** ... *\/` block just above the declaration, or undefined. */
  readonly doc: string | undefined;
  /** The code of each `@example` block of the doc comment (its ```ts fence's body, comment stars removed). */
  readonly examples: readonly string[];
  /** For interfaces: each property's name, whether it is optional, and its doc comment. */
  readonly members: readonly { readonly name: string; readonly optional: boolean; readonly doc: string | undefined }[];
}

const DECLARATION = (name: string): RegExp =>
  new RegExp(`^export (?:declare )?(?:abstract )?(?:async )?(function\\*?|class|interface|type|const|let) ${name}\\b`, 'm');

export function publicDeclarations(srcDir: string): PublicDeclaration[] {
  const index = readFileSync(join(srcDir, 'index.ts'), 'utf8');
  const out: PublicDeclaration[] = [];
  for (const m of index.matchAll(/^export (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    for (const part of m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const [local, exported] = part.replace(/^type /, '').split(/\s+as\s+/) as [string, string | undefined];
      const found = findDeclaration(join(srcDir, m[2]!), local, srcDir);
      out.push({ ...found, name: exported ?? local });
    }
  }
  return out;
}

function sourceOf(jsPath: string): string {
  const ts = jsPath.replace(/\.js$/, '.ts');
  if (!existsSync(ts)) throw new Error(`src/index.ts refers to ${jsPath}, which has no .ts source`);
  return ts;
}

function findDeclaration(jsPath: string, name: string, srcDir: string, depth = 0): Omit<PublicDeclaration, 'name'> {
  const file = sourceOf(jsPath);
  const text = readFileSync(file, 'utf8');
  const d = DECLARATION(name).exec(text);
  if (d !== null) {
    const doc = docAbove(text, d.index);
    const examples = [...examplesOf(doc), ...examplesOf(constructorDoc(text, d.index, d[1]!))];
    return { kind: d[1]!, file: relative(join(srcDir, '..'), file), doc, examples, members: d[1] === 'interface' ? interfaceMembers(text, d.index) : [] };
  }
  if (depth > 4) throw new Error(`${name}: re-exported too deeply from ${file}`);
  for (const r of text.matchAll(/^export (?:type )?\{([^}]*)\} from '([^']+)';/gm)) {
    for (const part of r[1]!.split(',').map((s) => s.trim().replace(/^type /, ''))) {
      const [local, exported] = part.split(/\s+as\s+/) as [string, string | undefined];
      if ((exported ?? local) === name) return findDeclaration(join(dirname(file), r[2]!), local, srcDir, depth + 1);
    }
  }
  for (const r of text.matchAll(/^export (?:type )?\* from '([^']+)';/gm)) {
    try {
      return findDeclaration(join(dirname(file), r[1]!), name, srcDir, depth + 1);
    } catch {
      // not in this one
    }
  }
  throw new Error(`${name}: no declaration found in ${file}`);
}

/** A class's examples may sit on its constructor (the `Tensor` constructor's does). */
function constructorDoc(text: string, at: number, kind: string): string | undefined {
  if (kind !== 'class') return undefined;
  const c = text.indexOf('\n  constructor(', at);
  return c < 0 ? undefined : docAbove(text, c + 1);
}

function examplesOf(doc: string | undefined): string[] {
  if (doc === undefined) return [];
  const lines = doc.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('@example')) continue;
    const open = lines.indexOf('```ts', i);
    const close = lines.indexOf('```', open + 1);
    if (open < 0 || close < 0) continue;
    out.push(lines.slice(open + 1, close).join('\n'));
    i = close;
  }
  return out;
}

/** The doc block ending on the line right above `at`, or undefined (a block with a blank line after it is a file or section header). */
function docAbove(text: string, at: number): string | undefined {
  const before = text.slice(0, at).replace(/[ \t]*$/, '').replace(/\n$/, '').trimEnd();
  if (!before.endsWith('*/') || /\n[ \t]*\n\s*$/.test(text.slice(0, at))) return undefined;
  const start = before.lastIndexOf('/**');
  if (start < 0) return undefined;
  return before.slice(start);
}

function interfaceMembers(text: string, at: number): PublicDeclaration['members'] {
  const open = text.indexOf('{', at);
  const members: { name: string; optional: boolean; doc: string | undefined }[] = [];
  let depth = 0;
  let lineStart = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') {
      depth--;
      if (depth === 0) break;
    } else if (c === '\n') {
      lineStart = i + 1;
      if (depth !== 1) continue;
      const line = /^\s*(?:readonly )?([A-Za-z_$][\w$]*)(\??)(?::|\()/.exec(text.slice(lineStart, text.indexOf('\n', lineStart)));
      if (line !== null) members.push({ name: line[1]!, optional: line[2] === '?', doc: docAbove(text, lineStart) });
    }
  }
  return members;
}
