"""The python `onnx` side of `npm run bench:io`, run on the same file in the same call:

    python3 bench/io_peer.py model.onnx [runs]

Prints one JSON line: onnx.load and onnx.save wall times (each run in this process, the file already
in the page cache after the first) and this process's peak RSS after one load, in MB.
"""
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import onnx



def peak_rss_kib():
    """Peak RSS of this process: VmHWM from /proc, which exec resets (getrusage's ru_maxrss is inherited
    from the parent that spawned this process); elsewhere ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    size = os.path.getsize(path)
    base_rss = peak_rss_kib() / 1024
    loads = []
    model = None
    for _ in range(runs):
        model = None  # the previous model is freed outside the clock, as tandem's bench collects its garbage first
        gc.collect()
        t0 = time.perf_counter()
        model = onnx.load(path)
        loads.append(time.perf_counter() - t0)
        if len(loads) == 1:
            peak_after_one_load = peak_rss_kib() / 1024
    saves = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(runs):
            t0 = time.perf_counter()
            onnx.save(model, os.path.join(d, f"out{i}.onnx"))
            saves.append(time.perf_counter() - t0)
    print(json.dumps({
        "tool": f"python onnx {onnx.__version__}",
        "file_mb": size / 1e6,
        "load_s": {"min": min(loads), "median": statistics.median(loads)},
        "save_s": {"min": min(saves), "median": statistics.median(saves)},
        "rss_mb": {"baseline": base_rss, "peak_after_load": peak_after_one_load},
    }))


if __name__ == "__main__":
    main()
