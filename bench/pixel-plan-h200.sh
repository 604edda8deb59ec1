#!/usr/bin/env bash
# A pixel plan of the trained model end to end on the GPU machine: scenes → plan (host, FP16, RGBA in,
# compact out) → run over the scene images → eval against the FP32 model → bench --profile. Logs and a
# few outputs go to $OUT. Run from the project root with dist/ built: bash .device/remote.sh bash bench/pixel-plan-h200.sh
set -u
OUT=${OUT:-/tmp/pixel-plan-h200}
mkdir -p "$OUT"
node dist/src/cli/main.js scenes --count 4 --size 128x256 --seed 1000 -o /tmp/sc > $OUT/log.txt 2>&1
node dist/src/cli/main.js plan assets/models/tandem-street.onnx --target host --gpu-precision fp16 --input rgba-uint32 --outputs compact --iterations 5 -o /tmp/ph >> $OUT/log.txt 2>&1
node dist/src/cli/main.js run /tmp/ph --input /tmp/sc/images --out /tmp/run >> $OUT/log.txt 2>&1
ls -R /tmp/run | head -30 >> $OUT/log.txt
cp /tmp/run/$(ls /tmp/run | head -1)/segmentation.png $OUT/seg0.png 2>/dev/null
cp /tmp/run/$(ls /tmp/run | head -1)/depth.png $OUT/depth0.png 2>/dev/null
node dist/src/cli/main.js eval /tmp/ph --dataset synthetic:1000,64 --reference assets/models/tandem-street.onnx --json > $OUT/eval-pixelplan.json 2>> $OUT/log.txt
node dist/src/cli/main.js bench /tmp/ph --duration 2 --warmup 1 --profile 10 >> $OUT/log.txt 2>&1
