import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trtexecCommands } from '../../src/report/index.js';

describe('export commands', () => {
  it('finds each trtexec invocation of a bundle script, with its comment, ready to paste', () => {
    const script = [
      '#!/usr/bin/env bash',
      'TRTEXEC="${TRTEXEC:-trtexec}"',
      'if ! command -v "$TRTEXEC" >/dev/null 2>&1; then',
      '  echo "trtexec not found" >&2',
      'fi',
      '# backbone: gpu FP16 (modelled 5.29 ms alone)',
      '"$TRTEXEC" \\',
      '  --onnx=stages/backbone.onnx \\',
      '  --fp16 \\',
      '  2>&1 | tee results/build-backbone.log',
      '',
      '/usr/src/tensorrt/bin/trtexec --loadEngine=engines/head.engine --useDLACore=0',
    ].join('\n');
    assert.deepEqual(trtexecCommands(script), [
      { title: 'backbone: gpu FP16 (modelled 5.29 ms alone)', text: 'trtexec \\\n  --onnx=stages/backbone.onnx \\\n  --fp16 \\\n  2>&1 | tee results/build-backbone.log' },
      { text: 'trtexec --loadEngine=engines/head.engine --useDLACore=0' },
    ]);
  });
});
