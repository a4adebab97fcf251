"""Arbiter's Python test runner (harness-owned, mounted read-only). Never imports model code.

Each test runs in a forked child that closes the harness channel (fds 3 and 4) before any model
code exists in it. A child earns a pass only by echoing a token the parent sends after the
module (and so the model's import-time code) has loaded. The parent reads the harness secret
from fd 3 only after every child is gone, and writes the report to fd 4. See docs/sandbox.md.
"""
import ast
import builtins
import json
import os
import select
import signal
import sys
import time

CHAN_IN, CHAN_OUT = 3, 4
MAX_ERR = 500


def nondumpable():
    # PR_SET_DUMPABLE=0: same-uid children cannot ptrace us or open /proc/<us>/fd or /mem.
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except Exception:
        pass


_SCALARS = (int, float, complex, str, bytes, bool, type(None))
_CONTAINERS = (list, tuple, dict, set, frozenset)


def _plain(x):
    t = type(x)
    if t in _SCALARS:
        return True
    if t in (tuple, frozenset):
        return all(_plain(v) for v in x)
    return False


def strict_eq(a, b):
    """`==` that a model's object cannot fake: a builtin value only equals a value of builtin type."""
    ta, tb = type(a), type(b)
    a_builtin = ta in _SCALARS or ta in _CONTAINERS
    b_builtin = tb in _SCALARS or tb in _CONTAINERS
    if not a_builtin and not b_builtin:
        return bool(a == b)
    if not (a_builtin and b_builtin):
        return False
    if ta in _SCALARS and tb in _SCALARS:
        return bool(a == b)
    if ta is not tb:
        return False
    if ta in (list, tuple):
        return len(a) == len(b) and all(strict_eq(x, y) for x, y in zip(a, b))
    if ta is dict:
        return (len(a) == len(b) and all(_plain(k) for k in a)
                and all(k in b and strict_eq(a[k], b[k]) for k in a))
    return all(_plain(v) for v in a) and all(_plain(v) for v in b) and a == b


_EQ_CODE = strict_eq.__code__


class _Rewrite(ast.NodeTransformer):
    """assert x == y  ->  assert __arbiter_eq__(x, y)  (and != likewise)."""

    def visit_Assert(self, node):
        t = node.test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], (ast.Eq, ast.NotEq)):
            call = ast.Call(func=ast.Name("__arbiter_eq__", ast.Load()), args=[t.left, t.comparators[0]], keywords=[])
            node.test = call if isinstance(t.ops[0], ast.Eq) else ast.UnaryOp(ast.Not(), call)
        return node


def discover(tree):
    tests = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            tests.append((node.name, None))
        elif isinstance(node, ast.ClassDef) and any(
                (isinstance(b, ast.Name) and b.id.endswith("TestCase")) or
                (isinstance(b, ast.Attribute) and b.attr.endswith("TestCase")) for b in node.bases):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    tests.append((item.name, node.name))
    return tests


def describe(e):
    try:
        return ("%s: %s" % (type(e).__name__, e))[:MAX_ERR]
    except BaseException:
        return type(e).__name__


def child(code, tests_path, work, name, cls, res_w, tok_r):
    for fd in (CHAN_IN, CHAN_OUT):
        try:
            os.close(fd)
        except OSError:
            pass
    os.setpgid(0, 0)
    token = b""
    msg = {"ok": False}
    try:
        os.chdir(work)
        sys.path.append(work)
        import unittest
        def assert_equal(self, first, second, msg=None):
            if not strict_eq(first, second):
                raise self.failureException(msg or "values differ")
        unittest.TestCase.assertEqual = assert_equal
        ns = {"__name__": "arbiter_tests", "__file__": tests_path, "__builtins__": builtins,
              "__arbiter_eq__": strict_eq}
        exec(code, ns)  # imports the solution: the model's import-time code runs here
        # Undo the cheap patches import-time code can make (deeper ones are documented limits).
        strict_eq.__code__ = _EQ_CODE
        ns["__arbiter_eq__"] = strict_eq
        unittest.TestCase.assertEqual = assert_equal
        os.write(res_w, b"R\n")
        token = os.read(tok_r, 64).strip()
        if cls is None:
            fn = ns[name]
            out = fn()
            if hasattr(out, "__await__"):
                import asyncio
                asyncio.run(out)
        else:
            import unittest as ut
            result = ut.TestResult()
            ns[cls](name).run(result)
            problems = result.errors + result.failures
            if problems or result.testsRun != 1 or result.skipped:
                raise AssertionError((problems[0][1].strip().splitlines() or ["failed"])[-1] if problems else "did not run")
        msg = {"ok": True}
    except BaseException as e:  # SystemExit and KeyboardInterrupt are failures too
        msg = {"ok": False, "error": describe(e)}
    msg["token"] = token.decode("ascii", "replace")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    try:
        os.write(res_w, (json.dumps(msg) + "\n").encode())
    finally:
        os._exit(0)


def run_one(code, tests_path, work, name, cls, deadline):
    res_r, res_w = os.pipe()
    tok_r, tok_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(res_r)
        os.close(tok_w)
        child(code, tests_path, work, name, cls, res_w, tok_r)
    os.close(res_w)
    os.close(tok_r)
    token = os.urandom(16).hex()
    buf, result, sent = b"", None, False
    try:
        while result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                result = {"passed": False, "error": "timeout"}
                break
            ready, _, _ = select.select([res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(res_r, 65536)
            if not chunk:
                result = {"passed": False, "error": "exited without reporting a result"}
                break
            buf += chunk
            if len(buf) > 1 << 16:
                result = {"passed": False, "error": "result message too large"}
                break
            while b"\n" in buf and result is None:
                line, buf = buf.split(b"\n", 1)
                if line == b"R" and not sent:
                    os.write(tok_w, token.encode() + b"\n")
                    sent = True
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    result = {"passed": False, "error": "malformed result message"}
                    break
                ok = isinstance(msg, dict) and msg.get("ok") is True and sent and msg.get("token") == token
                err = msg.get("error") if isinstance(msg, dict) else None
                result = {"passed": ok, "error": None if ok else (str(err)[:MAX_ERR] if err else "no valid pass token")}
    finally:
        for sig_target in (-pid, pid):
            try:
                os.kill(sig_target, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        for fd in (res_r, tok_w):
            try:
                os.close(fd)
            except OSError:
                pass
    return result


def main():
    nondumpable()
    tests_path, work, per_test_ms, budget_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    started = time.monotonic()
    with open(tests_path, "r", encoding="utf-8") as f:
        source = f.read()
    report = {"tests": []}
    try:
        tree = ast.parse(source, tests_path)
        tests = discover(tree)
        code = compile(ast.fix_missing_locations(_Rewrite().visit(tree)), tests_path, "exec")
    except SyntaxError as e:
        tests, code = [], None
        report["error"] = "test file does not parse: %s" % describe(e)
    report["discovered"] = len(tests)
    for name, cls in tests:
        label = name if cls is None else "%s.%s" % (cls, name)
        left = started + budget_ms / 1000.0 - time.monotonic()
        if left <= 0:
            report["tests"].append({"name": label, "passed": False, "error": "not run: time budget exhausted"})
            continue
        r = run_one(code, tests_path, work, name, cls, time.monotonic() + min(per_test_ms / 1000.0, left))
        report["tests"].append(dict(name=label, **r))
    secret = b""
    while True:
        chunk = os.read(CHAN_IN, 4096)
        if not chunk:
            break
        secret += chunk
    report["secret"] = secret.decode("utf-8", "replace")
    data = json.dumps(report).encode()
    while data:
        data = data[os.write(CHAN_OUT, data):]
    os.close(CHAN_OUT)


if __name__ == "__main__":
    main()
