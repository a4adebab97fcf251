"""Runs an OpenAI-style python grader: `grade(sample, item) -> float` (harness-owned, read-only).
The grader is user code, the sample is model output (data only). argv: grader.py input.json"""
import json
import math
import os
import sys

CHAN_IN, CHAN_OUT = 3, 4


def main():
    grader_path, input_path = sys.argv[1], sys.argv[2]
    with open(input_path, encoding="utf-8") as f:
        payload = json.load(f)
    out = {}
    try:
        ns = {"__name__": "grader"}
        with open(grader_path, encoding="utf-8") as f:
            exec(compile(f.read(), "grader.py", "exec"), ns)
        grade = ns.get("grade")
        if not callable(grade):
            raise TypeError("the grader source defines no callable grade(sample, item)")
        value = grade(payload["sample"], payload["item"])
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out = {"invalid": "grade() returned %s, expected a float" % type(value).__name__}
        elif not math.isfinite(float(value)):
            out = {"invalid": "grade() returned a non-finite number (%r)" % value}
        else:
            out = {"score": float(value)}
    except BaseException as e:
        try:
            out = {"exception": ("%s: %s" % (type(e).__name__, e))[:500]}
        except BaseException:
            out = {"exception": type(e).__name__}
    secret = b""
    while True:
        chunk = os.read(CHAN_IN, 4096)
        if not chunk:
            break
        secret += chunk
    out["secret"] = secret.decode("utf-8", "replace")
    data = json.dumps(out).encode()
    while data:  # os.write may write less than asked
        data = data[os.write(CHAN_OUT, data):]
    os.close(CHAN_OUT)


main()
