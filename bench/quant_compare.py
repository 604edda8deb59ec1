#!/usr/bin/env python3
"""Joins <dir>/tandem.json (npm run bench:quant) and <dir>/ort.json (bench/quant_peer.py) and prints:
amax agreement per calibration method, fidelity of both Q/DQ models vs FP32 on the held-out samples,
calibration wall time and peak RSS.

    python3 bench/quant_compare.py <dir>

Times come from two machines when tandem ran on one and onnxruntime's python on another: each is also
given in units of one FP32 pass over the calibration samples measured on the same machine with the
same onnxruntime version and thread count, which is the comparable figure.
"""
import json
import os
import statistics
import sys

# tandem run id → onnxruntime calibrator; whether the algorithm is the same (agreement expected) or not.
PAIRS = [
    ("max", "MinMax", "same algorithm: max |x|"),
    ("entropy-ort", "Entropy", "same algorithm: tandem's port of ORT's entropy search, 2048 bins"),
    ("entropy", "Entropy", "different algorithms: tandem trt-gtc (GTC17) vs ORT's, both 2048 bins"),
    ("percentile", "Percentile", "same definition, 99.99; ORT's |x| histogram starts at min |x|, tandem's at 0"),
]


def agreement(t, o):
    common = sorted(set(t) & set(o))
    ratios = [(t[k] / o[k]) if o[k] > 0 else (1.0 if t[k] == 0 else float("inf")) for k in common]
    dev = [abs(r - 1) for r in ratios]
    worst = sorted(zip(dev, common, ratios), reverse=True)[:3]
    return {
        "common": len(common),
        "only_tandem": len(set(t) - set(o)),
        "only_ort": len(set(o) - set(t)),
        "median_abs_dev": statistics.median(dev) if dev else None,
        "within_1pct": sum(x <= 0.01 for x in dev) / len(dev) if dev else None,
        "within_5pct": sum(x <= 0.05 for x in dev) / len(dev) if dev else None,
        "median_ratio": statistics.median(ratios) if ratios else None,
        "worst": [(name, ratio) for _, name, ratio in worst],
    }


def compare(d):
    t = json.load(open(os.path.join(d, "tandem.json")))
    o = json.load(open(os.path.join(d, "ort.json")))
    print(f"\n== amax per tensor: tandem vs {o['tool']} (same model, same {t['samples']['calibration']} calibration samples)")
    print(f"{'tandem':12s} {'ORT':11s} {'common':>6s} {'median |t/o-1|':>15s} {'within 1%':>10s} {'within 5%':>10s} {'median t/o':>11s}  note")
    for tid, oid, note in PAIRS:
        if tid not in t["runs"] or oid not in o.get("calibrators", {}):
            continue
        a = agreement(next(iter(t["runs"][tid]["amax"].values())), o["calibrators"][oid]["amax"])
        print(f"{tid:12s} {oid:11s} {a['common']:6d} {a['median_abs_dev']:15.4f} {a['within_1pct']:10.1%} {a['within_5pct']:10.1%} {a['median_ratio']:11.4f}  {note}")
        print(f"{'':25s}worst: " + ", ".join(f"{n} ({r:.3f})" for n, r in a["worst"]) + f"; only in tandem {a['only_tandem']}, only in ORT {a['only_ort']}")
    print("\n== fidelity vs FP32 on the held-out samples (Q/DQ models; INT8 emulated on onnxruntime cpu)")
    print(f"{'model':44s} {'output':13s} {'rel L2':>8s} {'cosine':>9s} {'argmax agree':>13s}  measured with")
    for r in t["fidelity"]["rows"]:
        ag = "—" if r.get("argmaxAgreement") is None else f"{r['argmaxAgreement']:.2%}"
        print(f"{r['label']:44s} {r['output']:13s} {r['relL2']:8.4f} {r['cosine']:9.5f} {ag:>13s}  {t['fidelity']['engine']}")
    for r in o.get("fidelity", {}).get("rows", []):
        ag = "—" if r.get("argmaxAgreement") is None else f"{r['argmaxAgreement']:.2%}"
        print(f"{r['label']:44s} {r['output']:13s} {r['relL2']:8.4f} {r['cosine']:9.5f} {ag:>13s}  {o['fidelity']['engine']}")
    print("\n== calibration wall time and peak RSS (each in its own process)")
    tp = t["fp32PassMs"] / 1000
    op = o.get("fp32_pass_s")
    print(f"tandem: {t['machine']}; one FP32 pass {tp:.2f} s; onnxruntime threads {t['settings']['ortThreads']}")
    if op:
        print(f"ORT:    {o['tool']}, {o['machine']}; one FP32 pass {op:.2f} s; threads {o['threads']}")
    print(f"{'method':12s} {'tandem s':>9s} {'(FP32 passes)':>14s} {'ORT s':>9s} {'(FP32 passes)':>14s} {'speed-up (passes)':>18s} {'tandem RSS':>11s} {'ORT RSS':>9s}")
    for tid, oid, _ in PAIRS:
        if tid not in t["runs"]:
            continue
        tr = t["runs"][tid]
        ts = tr["wallMs"] / 1000
        orr = o.get("calibrators", {}).get(oid)
        if orr is None:
            print(f"{tid:12s} {ts:9.2f} {ts / tp:14.1f}")
            continue
        speed = (orr["wall_s"] / op) / (ts / tp) if op else float("nan")
        print(f"{tid:12s} {ts:9.2f} {ts / tp:14.1f} {orr['wall_s']:9.2f} {orr['wall_s'] / op:14.1f} {speed:17.1f}x {tr['maxRssKiB'] / 1024:9.0f} MiB {orr['maxrss_kib'] / 1024:7.0f} MiB  ({oid})")
    if "all-four" in t["runs"]:
        a4 = t["runs"]["all-four"]
        print(f"{'all-four':12s} {a4['wallMs'] / 1000:9.2f} {a4['wallMs'] / 1000 / tp:14.1f}  (tandem: entropy, max, percentile and mse from one calibration run) {a4['maxRssKiB'] / 1024:.0f} MiB")


if __name__ == "__main__":
    compare(os.path.abspath(sys.argv[1]))
