# Sourced by the GPU-machine scripts (bench/*-h200*.sh) after they set OUT: records the machine and
# runs each measurement as a step with its own time limit and log, so one crash cannot take the others.
mkdir -p "$OUT"
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; nproc; node --version; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } > "$OUT/machine.txt" 2>&1
step() { # log name, timeout, command...
  local name=$1 t=$2; shift 2
  echo "### [$(date -u +%T)] $*" >> "$OUT/$name.log"
  timeout "$t" "$@" >> "$OUT/$name.log" 2>&1 || echo "### exited with $? ($name)" >> "$OUT/$name.log"
}
