import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { probeEngine } from '../../src/runtime/engines/probe.js';
import { isTandemError } from '../../src/util/errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs an ES module snippet in a fresh node (with tsx) and returns its stdout and stderr. */
function node(code: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, timeout: 60_000 }, (e, stdout, stderr) => (e ? fail(Object.assign(e, { stderr })) : done({ stdout, stderr }))),
  );
}

describe('probeEngine', () => {
  it('cpu starts; the answer is kept (one probe per engine and process)', async () => {
    assert.equal(await probeEngine('cpu'), undefined);
    assert.equal(probeEngine('cpu'), probeEngine('cpu'));
  });
  it('webgpu: starts, or ENGINE_UNAVAILABLE saying why', async (t) => {
    const e = await probeEngine('webgpu');
    if (e === undefined) return t.diagnostic('webgpu starts here');
    assert.ok(isTandemError(e, 'ENGINE_UNAVAILABLE'), String(e));
    assert.match(e.message, /^engine webgpu cannot start on this machine \(.+\); it needs a GPU with a Vulkan driver/);
  });
  it("prints nothing: Dawn's own warning (no Vulkan loader) stays in the probe's process", async (t) => {
    const probed = await node(`import { probeEngine } from './src/runtime/engines/probe.ts'; const e = await probeEngine('webgpu'); console.log(e ? e.code : 'ok');`);
    assert.match(probed.stdout, /^(ok|ENGINE_UNAVAILABLE)\n$/);
    assert.equal(probed.stderr, '');
    // Opened here instead, the same engine prints Dawn's warning on a machine without Vulkan.
    const direct = await node(`import { getEngine } from './src/runtime/engines/registry.ts'; import { GraphBuilder, buildModel } from './src/ir/builder.ts'; const b = new GraphBuilder('p', { opset: 17 }); b.output(b.relu(b.input('x', 'float32', [1, 4])), 'float32', [1, 4]); try { await (await getEngine('webgpu').open(buildModel(b))).close(); } catch {}`);
    if (!/Couldn't load Vulkan/.test(direct.stderr)) t.diagnostic('this machine has a Vulkan loader: the direct open printed no warning to compare with');
  });
});
