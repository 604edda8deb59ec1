#!/usr/bin/env bash
# The GPU-machine measurements of BENCHMARKS.md "Pipeline — h200", in one go. Run from the project root
# on the GPU machine with dist/ built and node on PATH (bash .device/remote.sh bash bench/pipeline-h200.sh).
# Logs go to $OUT (default /tmp/pipeline-h200). The tandem layouts run in three processes so that a
# crash in one (the GPU-resident hand-off is the new path) cannot take the others with it.
set -u
OUT=${OUT:-/tmp/pipeline-h200}
DURATION=${DURATION:-4}
SIZE=${SIZE:-512x1024}
. "$(dirname "$0")/h200-steps.sh"
common=(--size "$SIZE" --threads 8 --duration "$DURATION" --warmup 1)
for configs in whole-webgpu@fp32,whole-webgpu@fp16,webgpu-host@fp32,webgpu-host@fp16,webgpu+cpu@fp16 webgpu-resident@fp32,webgpu-resident@fp16 host-plan; do
  echo "### node dist/bench/pipeline.js ${common[*]} --configs $configs" >> "$OUT/tandem.log"
  timeout 240 node dist/bench/pipeline.js "${common[@]}" --configs "$configs" >> "$OUT/tandem.log" 2>&1 || echo "### exited with $? (configs $configs)" >> "$OUT/tandem.log"
done
echo "### python3 bench/pipeline_peer.py --size "$SIZE" --modes eager-fp32,eager-fp16,compile-default --duration $DURATION" >> "$OUT/peer.log"
timeout 240 python3 bench/pipeline_peer.py --size "$SIZE" --modes eager-fp32,eager-fp16,compile-default --duration "$DURATION" > "$OUT/peer.json" 2>> "$OUT/peer.log" || echo "### exited with $?" >> "$OUT/peer.log"
echo "### timeout ${AUTOTUNE_CAP:-100} python3 bench/pipeline_peer.py --size "$SIZE" --modes compile-max-autotune --duration $DURATION" >> "$OUT/peer.log"
timeout ${AUTOTUNE_CAP:-100} python3 bench/pipeline_peer.py --size "$SIZE" --modes compile-max-autotune --duration "$DURATION" > "$OUT/peer-max.json" 2>> "$OUT/peer.log" || echo "### exited with $? (cap of ${AUTOTUNE_CAP:-100} s on max-autotune: the shared device-time budget)" >> "$OUT/peer.log"
