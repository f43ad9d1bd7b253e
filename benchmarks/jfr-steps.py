#!/usr/bin/env python3
"""Where a training step's time goes, from a JFR recording of `fedge bench-train` (profile-train.sh).

Counts the samples of the training thread (stacks through MultiLayerNetwork.fit), weighting native
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
    for event in events:
        stack = frames(event)
        if not any("MultiLayerNetwork.fit" in f for f in stack):
            continue
        native = event["type"] == "jdk.NativeMethodSample"
        weight = 2 if native else 1
        total += weight
        kinds["native" if native else "java"] += weight
        if native:
            caller = next((f for f in stack if f.startswith("org/deeplearning4j")), "?")
            ops[(stack[0].rsplit(".", 1)[-1], caller)] += weight
    if total == 0:
        sys.exit("no samples of MultiLayerNetwork.fit in " + path)
    print(f"training-thread samples (weighted): {total}")
    for kind, count in kinds.most_common():
        print(f"  {kind:7s} {100 * count / total:5.1f}%")
    print("native time by op and DL4J caller:")
    for (op, caller), count in ops.most_common(12):
        print(f"  {100 * count / total:5.1f}%  {op:28s} {caller.replace('/', '.')}")


if __name__ == "__main__":
    main(sys.argv[1])
