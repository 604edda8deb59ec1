import { badge, esc, formatMs, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { ManifestFile } from './schemas.js';

/** One trtexec command of a script, with the comment line above it (what it builds or measures). */
export interface TrtexecCommand {
  readonly title?: string;
  /** As written (continuation lines kept), with the script's `"$TRTEXEC"` spelled `trtexec` so it can be pasted. */
  readonly text: string;
}

const INVOKES = /^("\$\{?TRTEXEC\}?"|\$\{?TRTEXEC\}?|(\S*\/)?trtexec)(\s|$)/;

/** The trtexec invocations of a shell script (lines that run trtexec or "$TRTEXEC", continuations joined). */
export function trtexecCommands(script: string): TrtexecCommand[] {
  const lines = script.split(/\r?\n/);
  const out: TrtexecCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!INVOKES.test(line)) continue;
    const parts = [lines[i]!];
    while (/\\\s*$/.test(lines[i]!) && i + 1 < lines.length) parts.push(lines[++i]!);
    const above = lines[i - parts.length]?.trim() ?? '';
    const indent = Math.min(...parts.slice(1).map((p) => p.length - p.trimStart().length), 2);
    const text = parts.map((p, k) => (k === 0 ? p.trim() : `  ${p.slice(indent).trimStart()}`)).join('\n').replace(INVOKES, 'trtexec$3');
    out.push({ ...(above.startsWith('#') && !above.startsWith('#!') ? { title: above.replace(/^#\s*/, '') } : {}), text });
  }
  return out;
}

function manifestBlock(m: Loaded<ManifestFile>): string {
  const d = m.data;
  const rows = d.stages.map((s) => [
    esc(s.name),
    esc(s.engine),
    esc(s.precision.toUpperCase()),
    esc([...(s.inputFormats ?? []), '→', ...(s.outputFormats ?? [])].join(' ')),
    s.fp16Layers === undefined || s.fp16Layers.length === 0 ? '–' : s.fp16Layers.map((l) => `<code>${esc(l)}</code>`).join(', '),
    s.predicted === undefined ? '–' : esc(`${formatMs(s.predicted.latencyMs)}, ${s.predicted.fps.toFixed(1)} fps`),
  ]);
  return `<h3>${esc(m.label)}: bundle for TensorRT ${esc(d.trt)} (${esc(d.target ?? 'target')}) ${badge('modelled', 'the predicted numbers come from the latency model; measure them with bench.sh on the target and bring them back with tandem import')}</h3>${table(['stage', 'engine', 'precision', 'I/O formats', 'layers kept in FP16', 'predicted (modelled)'], rows)}`;
}

/** The export bundle: its manifest, then each trtexec command with a copy button, then the whole scripts. */
export function exportSection(scripts: readonly Loaded<string>[], manifests: readonly Loaded<ManifestFile>[] = []): string {
  // build.sh before bench.sh: the order they run in
  const ordered = [...scripts].sort((a, b) => Number(/bench/.test(a.label)) - Number(/bench/.test(b.label)) || a.label.localeCompare(b.label));
  return (
    manifests.map(manifestBlock).join('') +
    ordered
      .map((s, i) => {
        const cmds = trtexecCommands(s.data);
        const list = cmds
          .map((c, k) => `${c.title ? `<p class="cmd-title">${esc(c.title)}</p>` : ''}<div class="cmd"><button class="copy" data-copy="cmd-${i}-${k}" title="copy to the clipboard">copy</button><pre id="cmd-${i}-${k}"><code>${esc(c.text)}</code></pre></div>`)
          .join('');
        return `<h3>${esc(s.label)}: ${cmds.length} trtexec command${cmds.length === 1 ? '' : 's'} to run on the target</h3>${list}<details><summary>the whole script</summary><div class="cmd"><button class="copy" data-copy="script-${i}">copy</button><pre id="script-${i}"><code>${esc(s.data)}</code></pre></div></details>`;
      })
      .join('')
  );
}
