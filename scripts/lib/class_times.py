#!/usr/bin/env python3
"""Each test class's time in a run, slowest first, from every .trx file in a results folder (one per test project).

    scripts/lib/class_times.py TestResults/test

A class's time is the sum of its tests' durations; a stack's start-up, which runs before its first test, is not in it.
"""
import collections
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

TRX = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def seconds(duration):
    hours, minutes, rest = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def class_times(folder):
    times = collections.defaultdict(lambda: [0.0, 0])
    for trx in sorted(pathlib.Path(folder).glob("*.trx")):
        root = ElementTree.parse(trx).getroot()
        classes = {test.get("id"): test.find(f"{TRX}TestMethod").get("className")
                   for test in root.iter(f"{TRX}UnitTest")}
        for result in root.iter(f"{TRX}UnitTestResult"):
            entry = times[classes[result.get("testId")].rsplit(".", 1)[-1]]
            entry[0] += seconds(result.get("duration", "0:0:0"))
            entry[1] += 1
    return sorted(times.items(), key=lambda item: -item[1][0])


def main():
    times = class_times(sys.argv[1])
    if not times:
        return
    print("[test] time per class, slowest first (its tests' durations; a stack's start-up is not in them):")
    for name, (total, count) in times:
        print(f"[test] {total:8.1f} s  {name} ({count} test{'' if count == 1 else 's'})")


if __name__ == "__main__":
    main()
