#!/usr/bin/env python3
"""The onnxruntime side of `npm run bench:quant`: ORT's own calibrators and quantize_static on the SAME
model file and the SAME .npy sample files that tandem calibrated on.

    python3 bench/quant_peer.py <dir> [--steps calib,static,compare] [--threads N]

<dir> is what `npm run bench:quant` wrote: bench-config.json, multitask.onnx, calib/*.npy,
holdout/*.npy and tandem.json. Steps (default: all three, in order):

  calib    each ORT calibrator in its own child process (so wall time and peak RSS belong to it alone):
             MinMax      create_calibrator(MinMax, symmetric=True)
             Entropy     create_calibrator(Entropy, num_bins=2048, num_quantized_bins=128, symmetric=True)
                         (ORT's default num_bins=128 returns the min-max range: reference pitfall 1)
             Percentile  create_calibrator(Percentile, num_bins=2048, percentile=99.99, symmetric=True)
                         (99.99 as tandem's default; ORT's own default is 99.999)
           The calibration session is rebuilt as ORT builds it (graph optimisations disabled, CPU EP) but
           with intra_op_num_threads = --threads (default: bench-config.json's ortThreads, as tandem used).
           Wall time: create_calibrator → collect_data → compute_data. Peak RSS: VmHWM (peak_rss_kib).
  static   quantize_static(QuantFormat.QDQ, per_channel=True, QInt8/QInt8, ActivationSymmetric=True,
           WeightSymmetric=True, CalibTensorRangeSymmetric=True, CalibPercentile=99.99) per method, same
           calibration samples; then fidelity of each Q/DQ model vs FP32 on the held-out samples (and of
           tandem's Q/DQ models too when <dir>-qdq/ was carried along). quantize_static has no option for
           the bin count, so its Entropy runs with 128 bins (= min-max).
  compare  joins <dir>/tandem.json and <dir>/ort.json (bench/quant_compare.py).

Writes <dir>/ort.json. Needs python3 with numpy and onnxruntime (1.30 on the device machine).

The INT8 table's peer (`npm run bench:int8 -- --peer-prep <dir>` writes <dir>):

    python3 bench/quant_peer.py <dir> --steps heads [--jobs N]

  heads    quantize_static on each model of <dir>/peer-config.json (tandem split's head stages) with the
           calibration feeds tandem calibrates them on (the FP32 backbone's features of the calibration
           frames, one .npy per head input, [frames, C, H, W], fed one frame at a time), once per entry of
           HEAD_CALIBRATORS, each in its own child process (--jobs at a time). Writes
           <dir>/ort-heads/<calibrator>/<head>.qdq.onnx and <dir>/ort-heads/ort-heads.json (settings, time,
           errors); `npm run bench:int8 -- --peer <dir>/ort-heads` evaluates them with tandem eval.
"""
import argparse
import glob
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

CALIBRATORS = {
    "MinMax": {"symmetric": True},
    "Entropy": {"num_bins": 2048, "num_quantized_bins": 128, "symmetric": True},
    "Percentile": {"num_bins": 2048, "percentile": 99.99, "symmetric": True},
}


# quantize_static settings shared by every head calibrator: QDQ, per-channel symmetric INT8 weights, per-tensor
# symmetric INT8 activations (what a DLA takes), no pre-processing (the heads have no BatchNormalization to fold
# and static shapes).
HEAD_COMMON = {
    "quant_format": "QDQ",
    "per_channel": True,
    "activation_type": "QInt8",
    "weight_type": "QInt8",
    "extra_options": {"ActivationSymmetric": True, "WeightSymmetric": True, "CalibTensorRangeSymmetric": True},
}
# name: (CalibrationMethod, quantize_static extra_options, calibrator options quantize_static cannot pass:
# injected into its create_calibrator call)
HEAD_CALIBRATORS = {
    "MinMax": ("MinMax", {}, {}),
    "Entropy": ("Entropy", {}, {}),  # quantize_static's own: num_bins 128 = num_quantized_bins, i.e. the min-max range
    "Entropy-2048": ("Entropy", {}, {"num_bins": 2048, "num_quantized_bins": 128}),
    "Percentile-99.99": ("Percentile", {"CalibPercentile": 99.99}, {}),  # tandem's percentile default
    "Percentile-99.999": ("Percentile", {}, {}),  # ORT's own default (2048 bins)
}


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

def config(d):
    with open(os.path.join(d, "bench-config.json")) as f:
        return json.load(f)


def sample_files(d, sub):
    return sorted(glob.glob(os.path.join(d, sub, "*.npy")))


def make_reader(files, input_name):
    from onnxruntime.quantization import CalibrationDataReader

    class NpyReader(CalibrationDataReader):
        """One sample per get_next, in file-name order, read when asked (as tandem reads them)."""

        def __init__(self):
            self.files = list(files)
            self.i = 0

        def get_next(self):
            if self.i >= len(self.files):
                return None
            x = np.load(self.files[self.i])
            self.i += 1
            return {input_name: x}

        def rewind(self):
            self.i = 0

    return NpyReader()


def input_name(model_path):
    import onnxruntime as ort

    return ort.InferenceSession(model_path, providers=["CPUExecutionProvider"]).get_inputs()[0].name


def session(path, threads=None, optimize=True):
    import onnxruntime as ort

    so = ort.SessionOptions()
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if threads:
        so.intra_op_num_threads = threads
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def pin_calibration_threads(threads):
    """Builds the calibration session as ORT 1.30's CalibraterBase.create_inference_session does (graph
    optimisations off, the calibrator's providers), plus a fixed intra-op thread count."""
    import onnxruntime
    from onnxruntime.quantization import calibrate

    original = calibrate.CalibraterBase.create_inference_session

    def create_inference_session(self):
        if not os.path.exists(getattr(self, "augmented_model_path", "")):
            return original(self)
        so = onnxruntime.SessionOptions()
        so.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.intra_op_num_threads = threads
        self.infer_session = onnxruntime.InferenceSession(self.augmented_model_path, sess_options=so, providers=getattr(self, "execution_providers", ["CPUExecutionProvider"]))

    calibrate.CalibraterBase.create_inference_session = create_inference_session
    return True


def child_calib(d, method, threads):
    """Runs one ORT calibrator; prints one JSON line."""
    import onnxruntime
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    cfg = config(d)
    model = os.path.join(d, cfg["model"])
    files = sample_files(d, cfg["calib"])
    reader = make_reader(files, input_name(model))
    with tempfile.TemporaryDirectory(prefix="quant-peer-") as tmp:
        kwargs = dict(
            op_types_to_calibrate=None,
            augmented_model_path=os.path.join(tmp, "augmented.onnx"),
            calibrate_method=getattr(CalibrationMethod, method),
            use_external_data_format=False,
            extra_options=dict(CALIBRATORS[method]),
        )
        if "providers" in inspect.signature(create_calibrator).parameters:
            kwargs["providers"] = ["CPUExecutionProvider"]
        threads_set = pin_calibration_threads(threads)
        t0 = time.perf_counter()
        cal = create_calibrator(model, **kwargs)
        cal.collect_data(reader)
        tensors = cal.compute_data()
        wall = time.perf_counter() - t0
    amax = {}
    for name in tensors:
        lo, hi = tensors[name].range_value
        # MinMax ranges come back as 1-element arrays, histogram ones as scalars.
        amax[name] = float(np.max(np.abs(np.concatenate([np.ravel(np.asarray(lo, dtype=np.float64)), np.ravel(np.asarray(hi, dtype=np.float64))]))))
    print(json.dumps({
        "method": method,
        "settings": CALIBRATORS[method],
        "wall_s": wall,
        "maxrss_kib": peak_rss_kib(),
        "threads": threads if threads_set else "onnxruntime default (session could not be rebuilt)",
        "tensors": len(amax),
        "amax": amax,
        "onnxruntime": onnxruntime.__version__,
    }))


def child_static(d, method, out_path):
    """Runs quantize_static (QDQ, per-channel, symmetric) with one calibration method; prints one JSON line."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    cfg = config(d)
    model = os.path.join(d, cfg["model"])
    reader = make_reader(sample_files(d, cfg["calib"]), input_name(model))
    extra = {"ActivationSymmetric": True, "WeightSymmetric": True, "CalibTensorRangeSymmetric": True, "CalibPercentile": 99.99}
    kwargs = dict(
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=getattr(CalibrationMethod, method),
        extra_options=extra,
    )
    if "calibration_providers" in inspect.signature(quantize_static).parameters:
        kwargs["calibration_providers"] = ["CPUExecutionProvider"]
    t0 = time.perf_counter()
    quantize_static(model, out_path, reader, **kwargs)
    print(json.dumps({"method": method, "file": out_path, "wall_s": time.perf_counter() - t0, "settings": {k: str(v) for k, v in kwargs.items()} | {"extra_options": extra}}))


def fp32_pass(d, threads):
    cfg = config(d)
    model = os.path.join(d, cfg["model"])
    s = session(model, threads)
    name = s.get_inputs()[0].name
    files = sample_files(d, cfg["calib"])
    s.run(None, {name: np.load(files[0])})
    t0 = time.perf_counter()
    for f in files:
        s.run(None, {name: np.load(f)})
    return time.perf_counter() - t0


def fidelity(d, models):
    """Each model vs FP32 on the held-out samples: rel L2, cosine, argmax agreement over axis 1 for class maps."""
    cfg = config(d)
    ref = session(os.path.join(d, cfg["model"]))
    name = ref.get_inputs()[0].name
    outs = [o.name for o in ref.get_outputs()]
    files = sample_files(d, cfg["holdout"])
    rows = []
    for label, path in models:
        s = session(path)
        acc = {o: dict(d2=0.0, r2=0.0, g2=0.0, dot=0.0, agree=0, pos=0) for o in outs}
        for f in files:
            x = np.load(f)
            r = dict(zip(outs, ref.run(outs, {name: x})))
            g = dict(zip(outs, s.run(outs, {name: x})))
            for o in outs:
                a = r[o].astype(np.float64).ravel()
                b = g[o].astype(np.float64).ravel()
                e = acc[o]
                e["d2"] += float(((a - b) ** 2).sum())
                e["r2"] += float((a * a).sum())
                e["g2"] += float((b * b).sum())
                e["dot"] += float((a * b).sum())
                if r[o].ndim in (2, 4) and r[o].shape[1] > 1:
                    e["agree"] += int((r[o].argmax(1) == g[o].argmax(1)).sum())
                    e["pos"] += int(r[o].argmax(1).size)
        for o, e in acc.items():
            rows.append({
                "label": label,
                "output": o,
                "relL2": (e["d2"] ** 0.5) / max(e["r2"] ** 0.5, 1e-30),
                "cosine": e["dot"] / max((e["r2"] ** 0.5) * (e["g2"] ** 0.5), 1e-30),
                "argmaxAgreement": (e["agree"] / e["pos"]) if e["pos"] else None,
            })
    return rows


def head_config(d):
    with open(os.path.join(d, "peer-config.json")) as f:
        return json.load(f)


def feature_reader(d, cfg, names):
    """The calibration feeds of a head: frame i of each input's .npy (memory-mapped), one frame per get_next."""
    from onnxruntime.quantization import CalibrationDataReader

    arrays = {i["name"]: np.load(os.path.join(d, i["file"]), mmap_mode="r") for i in cfg["inputs"]}
    missing = [n for n in names if n not in arrays]
    if missing:
        raise RuntimeError(f"no calibration features for inputs {missing}; peer-config.json has {list(arrays)}")

    class FeatureReader(CalibrationDataReader):
        def __init__(self):
            self.i = 0

        def get_next(self):
            if self.i >= cfg["frames"]:
                return None
            feeds = {n: np.ascontiguousarray(arrays[n][self.i:self.i + 1], dtype=np.float32) for n in names}
            self.i += 1
            return feeds

        def rewind(self):
            self.i = 0

    return FeatureReader()


def child_heads(d, name):
    """quantize_static of every head with one calibrator; prints one JSON line."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    import importlib

    ort_quantize = importlib.import_module("onnxruntime.quantization.quantize")  # the module; the package exports a function of that name

    method, extra_static, injected = HEAD_CALIBRATORS[name]
    if injected:
        original = ort_quantize.create_calibrator

        def create_calibrator(*args, **kwargs):
            kwargs["extra_options"] = {**(kwargs.get("extra_options") or {}), **injected}
            return original(*args, **kwargs)

        ort_quantize.create_calibrator = create_calibrator
    cfg = head_config(d)
    out_dir = os.path.join(d, "ort-heads", name)
    os.makedirs(out_dir, exist_ok=True)
    extra = {**HEAD_COMMON["extra_options"], **extra_static}
    files, walls = [], {}
    for model_file in cfg["models"]:
        # quantize_static writes <model>-inferred.onnx beside its input: a private copy keeps the calibrators running at once apart
        with tempfile.TemporaryDirectory(prefix="quant-peer-heads-") as tmp:
            model = shutil.copy(os.path.join(d, model_file), tmp)
            names = [i.name for i in session(model).get_inputs()]
            out = os.path.join(out_dir, model_file.replace(".onnx", ".qdq.onnx"))
            kwargs = dict(quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                          calibrate_method=getattr(CalibrationMethod, method), extra_options=extra)
            if "calibration_providers" in inspect.signature(quantize_static).parameters:
                kwargs["calibration_providers"] = ["CPUExecutionProvider"]
            t0 = time.perf_counter()
            quantize_static(model, out, feature_reader(d, cfg, names), **kwargs)
            walls[model_file] = time.perf_counter() - t0
            files.append(out)
    print(json.dumps({"ok": True, "method": method, "extra_options": extra, "calibrator_options": injected, "wall_s": walls, "files": files, "maxrss_kib": peak_rss_kib()}))


def heads(d, jobs):
    import onnxruntime

    cfg = head_config(d)
    out_dir = os.path.join(d, "ort-heads")
    os.makedirs(out_dir, exist_ok=True)
    doc = {
        "onnxruntime": onnxruntime.__version__,
        "what": cfg.get("what"),
        "frames": cfg["frames"],
        "settings": HEAD_COMMON,
        "calibrators": {k: {"method": v[0], "extra_options": v[1], "calibrator_options": v[2]} for k, v in HEAD_CALIBRATORS.items()},
        "methods": {},
    }
    pending = list(HEAD_CALIBRATORS)
    running = {}
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            running[name] = subprocess.Popen([sys.executable, os.path.abspath(__file__), d, "--child", "heads", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, p in list(running.items()):
            if p.poll() is None:
                continue
            out, err = p.communicate()
            del running[name]
            try:
                r = json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else {"ok": False, "error": f"exit {p.returncode}: {err.strip().splitlines()[-1] if err.strip() else '?'}"}
            except (ValueError, IndexError):
                r = {"ok": False, "error": f"no result: {err[-300:]}"}
            doc["methods"][name] = r
            print(f"ORT quantize_static {name}: {'ok ' + ', '.join(f'{k} {v:.1f} s' for k, v in r['wall_s'].items()) if r['ok'] else r['error']}", flush=True)
            with open(os.path.join(out_dir, "ort-heads.json"), "w") as f:
                json.dump(doc, f, indent=2)
        time.sleep(0.2)
    return doc


def run_child(d, args):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), d, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir")
    p.add_argument("--steps", default="calib,static,compare")
    p.add_argument("--threads", type=int, default=None, help="intra-op threads of the calibration sessions (default: bench-config.json's ortThreads)")
    p.add_argument("--jobs", type=int, default=len(HEAD_CALIBRATORS), help="--steps heads: calibrators run at once, each in its own process")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args()
    d = os.path.abspath(a.dir)
    if a.child:
        if a.child[0] == "calib":
            child_calib(d, a.child[1], int(a.child[2]))
        elif a.child[0] == "heads":
            child_heads(d, a.child[1])
        else:
            child_static(d, a.child[1], a.child[2])
        return
    if a.steps == "heads":
        heads(d, a.jobs)
        return
    import onnxruntime

    cfg = config(d)
    threads = a.threads or cfg.get("ortThreads", 1)
    steps = a.steps.split(",")
    out_path = os.path.join(d, "ort.json")
    doc = json.load(open(out_path)) if os.path.exists(out_path) else {}
    doc.update({"tool": f"onnxruntime {onnxruntime.__version__} (python {sys.version.split()[0]})", "machine": f"{os.cpu_count()} CPUs", "threads": threads})
    if "calib" in steps:
        doc["fp32_pass_s"] = fp32_pass(d, threads)
        print(f"one FP32 pass over the {len(sample_files(d, cfg['calib']))} calibration samples: {doc['fp32_pass_s']:.2f} s (onnxruntime {onnxruntime.__version__} cpu, {threads} threads, this machine)", flush=True)
        doc["calibrators"] = {}
        for m in CALIBRATORS:
            r = run_child(d, ["--child", "calib", m, str(threads)])
            doc["calibrators"][m] = r
            print(f"ORT {m:10s} calibration {r['wall_s']:8.2f} s wall ({r['wall_s'] / doc['fp32_pass_s']:.1f}x one FP32 pass), peak RSS {r['maxrss_kib'] / 1024:.0f} MiB, {r['tensors']} tensors", flush=True)
        json.dump(doc, open(out_path, "w"))
    if "static" in steps:
        qdq_dir = os.path.join(d, "ort-qdq")
        os.makedirs(qdq_dir, exist_ok=True)
        doc["static"] = {}
        models = []
        for m in CALIBRATORS:
            r = run_child(d, ["--child", "static", m, os.path.join(qdq_dir, f"ort-{m}.qdq.onnx")])
            doc["static"][m] = r
            models.append((f"ORT quantize_static {m}", r["file"]))
            print(f"ORT quantize_static {m}: {r['wall_s']:.1f} s", flush=True)
        for f in sorted(glob.glob(d + "-qdq/tandem-*.qdq.onnx")):
            models.append((os.path.basename(f).replace(".qdq.onnx", "") + " (evaluated here)", f))
        doc["fidelity"] = {"engine": f"onnxruntime {onnxruntime.__version__} python cpu (this machine)", "rows": fidelity(d, models)}
        json.dump(doc, open(out_path, "w"))
    if "compare" in steps:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import quant_compare

        quant_compare.compare(d)


if __name__ == "__main__":
    main()
