#!/usr/bin/env python3
"""Where a training step's time goes, from a JFR recording of `fedge bench-train` (profile-train.sh).

Counts the samples of the training thread (stacks through MultiLayerNetwork.fit, or LeanNetwork.fit on
fedge's lean path), weighting native
samples by 2 (JFR's profile settings sample threads in native code every 20 ms, in Java every
10 ms), and prints the share of Java against native time and the native custom ops by the DL4J
method that ran them.

    benchmarks/jfr-steps.py RECORDING.jfr
"""
import collections
import json
import subprocess
import sys


def frames(event):
    stack = event["values"].get("stackTrace")
    if not stack:
        return []
    return [f["method"]["type"]["name"] + "." + f["method"]["name"] for f in stack["frames"]]


def main(path):
    printed = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample",
                              "--stack-depth", "64", path], capture_output=True, text=True, check=True).stdout
    events = json.loads(printed)["recording"]["events"]
    total = 0
    kinds = collections.Counter()
    ops = collections.Counter()
    java = collections.Counter()
    for event in events:
        stack = frames(event)
        if not any("MultiLayerNetwork.fit" in f or "LeanNetwork.fit" in f for f in stack):
            continue
        native = event["type"] == "jdk.NativeMethodSample"
        weight = 2 if native else 1
        total += weight
        kinds["native" if native else "java"] += weight
        # the innermost DL4J or fedge method on the stack: the layer that ran the native op, or the Java code
        caller = next((f for f in stack if f.startswith("org/deeplearning4j") or f.startswith("io/fedge")), "?")
        if native:
            ops[(stack[0].rsplit(".", 1)[-1], caller)] += weight
        else:
            java[caller] += weight
    if total == 0:
        sys.exit("no samples of MultiLayerNetwork.fit or LeanNetwork.fit in " + path)
    print(f"training-thread samples (weighted): {total}")
    for kind, count in kinds.most_common():
        print(f"  {kind:7s} {100 * count / total:5.1f}%")
    print("native time by op and DL4J or fedge caller:")
    for (op, caller), count in ops.most_common(12):
        print(f"  {100 * count / total:5.1f}%  {op:28s} {caller.replace('/', '.')}")
    print("Java time by DL4J or fedge method:")
    for caller, count in java.most_common(8):
        print(f"  {100 * count / total:5.1f}%  {caller.replace('/', '.')}")


if __name__ == "__main__":
    main(sys.argv[1])
