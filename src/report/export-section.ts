import { esc } from './html.js';
import type { Loaded } from './load-inputs.js';

/** Joins shell continuation lines and keeps the commands that run trtexec. */
export function trtexecCommands(script: string): string[] {
  const joined = script.replace(/\\\r?\n\s*/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => !l.startsWith('#') && /\btrtexec\b/.test(l));
}

/** The export bundle's scripts: each trtexec command on its own with a copy button, then the whole script. */
export function exportSection(scripts: readonly Loaded<string>[]): string {
  return scripts
    .map((s, i) => {
      const cmds = trtexecCommands(s.data);
      const list = cmds.map((c, k) => `<div class="cmd"><button class="copy" data-copy="cmd-${i}-${k}" title="copy to the clipboard">copy</button><pre id="cmd-${i}-${k}"><code>${esc(c)}</code></pre></div>`).join('');
      return `<h3>${esc(s.label)}: ${cmds.length} trtexec command${cmds.length === 1 ? '' : 's'} to run on the target</h3>${list}<details><summary>the whole script</summary><div class="cmd"><button class="copy" data-copy="script-${i}">copy</button><pre id="script-${i}"><code>${esc(s.data)}</code></pre></div></details>`;
    })
    .join('');
}
