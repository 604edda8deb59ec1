#!/usr/bin/env bash
# Where the WebGPU frame time goes and which onnxruntime WebGPU settings move it, on the GPU machine:
# kernel profiles (GPU timestamps) of the multi-task model, then whole-model and three-stage pipelines
# with each setting in its own process (validation, robustness and dispatch batching are process-wide),
# then the PyTorch peer in the same call. Run from the project root with dist/ built:
#   bash .device/remote.sh bash bench/webgpu-tuning-h200.sh        (logs and JSON under $OUT)
set -u
OUT=${OUT:-/tmp/webgpu-tuning}
DURATION=${DURATION:-2}
SIZE=${SIZE:-512x1024}
. "$(dirname "$0")/h200-steps.sh"
step profile 60 node dist/bench/webgpu-profile.js --size "$SIZE" --io --json "$OUT/profile-default.json"
step profile 60 node dist/bench/webgpu-profile.js --size "$SIZE" --io --layout NHWC --json "$OUT/profile-nhwc.json"
step profile 60 node dist/bench/webgpu-profile.js --size "$SIZE" --io --layout NHWC --validation disabled --robustness 0 --pending 128 --json "$OUT/profile-all.json"
common=(--size "$SIZE" --threads 8 --duration "$DURATION" --warmup 1)
for v in '' +nhwc +novalid +norobust +pd128 +nhwc+novalid+norobust+pd128; do
  step pipeline 60 node dist/bench/pipeline.js "${common[@]}" --configs "whole-webgpu@fp16+io$v"
done
step pipeline 90 node dist/bench/pipeline.js "${common[@]}" --configs webgpu-resident@fp16+io+nhwc+novalid+norobust+pd128
step peer 60 python3 bench/pipeline_peer.py --size "$SIZE" --modes eager-fp16 --duration "$DURATION"
