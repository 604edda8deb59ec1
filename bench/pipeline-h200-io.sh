#!/usr/bin/env bash
# The GPU-machine measurements of BENCHMARKS.md "Pipeline on the H200: compact frame I/O, graph capture,
# measured host choice", in one go. Run from the project root on the GPU machine with dist/ built and
# node on PATH (bash .device/remote.sh bash bench/pipeline-h200-io.sh). Logs go to $OUT. Each group runs
# in its own process (graph capture is a new path: a crash there cannot take the others with it).
set -u
OUT=${OUT:-/tmp/pipeline-h200-io}
DURATION=${DURATION:-2}
SIZE=${SIZE:-512x1024}
. "$(dirname "$0")/h200-steps.sh"
common=(--size "$SIZE" --threads 8 --duration "$DURATION" --warmup 1)
step webgpu 120 node dist/bench/pipeline.js "${common[@]}" --configs whole-webgpu@fp16,whole-webgpu@fp16+io,webgpu-resident@fp16,webgpu-resident@fp16+io
step peer 100 python3 bench/pipeline_peer.py --size "$SIZE" --modes eager-fp16,compile-default --duration "$DURATION"
step capture 90 node dist/bench/pipeline.js "${common[@]}" --configs webgpu-capture@fp16+nocapture,webgpu-capture@fp16
step hostplan 150 node dist/bench/pipeline.js "${common[@]}" --configs host-plan@fp16+io --candidates 3 --measure-seconds 1.5
step mixed 150 node dist/bench/pipeline.js "${common[@]}" --configs host-plan@fp32,webgpu+cpu@fp16 --candidates 3 --measure-seconds 1.5
