#!/usr/bin/env python3
"""Run the test suite on every Python x Django pair of the matrix.

Each pair gets its own virtualenv under .matrix/, made with the pyenv
interpreter for that Python, with the package installed (not editable) so
``async_legacy.worker`` resolves as users get it. Usage:

    python3 scripts/matrix.py            # every pair
    python3 scripts/matrix.py 2.2        # only pairs whose name contains "2.2"
"""
import glob
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(ROOT, ".matrix")

# (python, django, extra environment). Django's supported Pythons:
# 1.11: 3.7 | 2.2: 3.5-3.9 (runs on 3.11) | 3.0: 3.6-3.9.
PAIRS = [
    ("3.7", "1.11", {"ASYNC_LEGACY_TEST_MIDDLEWARE": "classes"}),
    ("3.7", "1.11", {}),
    ("3.8", "2.2", {}),
    ("3.11", "2.2", {}),
    ("3.9", "3.0", {}),
]


def interpreter(version):
    try:
        prefix = subprocess.check_output(["pyenv", "prefix", version], text=True).strip()
        path = os.path.join(prefix, "bin", "python")
        if os.path.exists(path):
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for path in sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python")), reverse=True):
        return path
    found = shutil.which("python" + version)
    if not found:
        sys.exit("Python %s not found (tried `pyenv prefix %s`, %s/versions and python%s on PATH)."
                 % (version, version, root, version))
    return found


def name_of(python, django, env):
    suffix = "-classes" if env.get("ASYNC_LEGACY_TEST_MIDDLEWARE") == "classes" else ""
    return "py%s-django%s%s" % (python, django, suffix)


def ensure_venv(path, python, requirements):
    """A virtualenv at ``path`` for that Python, with ``requirements`` and this
    package freshly installed (not editable). Returns its bin directory."""
    bin_dir = os.path.join(path, "bin")
    if not os.path.exists(os.path.join(bin_dir, "python")):
        subprocess.check_call([interpreter(python), "-m", "venv", path])
        subprocess.check_call([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    pip = [os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q"]
    subprocess.check_call(pip + list(requirements))
    # Reinstall our own code every run (the version number does not change).
    subprocess.check_call(pip + ["--no-deps", "--force-reinstall", ROOT])
    return bin_dir


def venv_for(python, django):
    path = os.path.join(MATRIX_DIR, "py%s-django%s" % (python, django))
    return ensure_venv(path, python, ["Django~=%s.0" % django, ROOT + "[test]"])


def run_pair(python, django, env):
    name = name_of(python, django, env)
    print("\n=== %s" % name, flush=True)
    bin_dir = venv_for(python, django)
    report = os.path.join(MATRIX_DIR, name + ".xml")
    environ = dict(os.environ, **env)
    environ["MATRIX_PAIR"] = name
    started = time.time()
    code = subprocess.call(
        [os.path.join(bin_dir, "pytest"), "-q", "-p", "no:cacheprovider", "--junitxml", report],
        cwd=ROOT,
        env=environ,
    )
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if os.path.exists(report):
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts = {"passed": total - failed - skipped, "failed": failed, "skipped": skipped}
    if code not in (0, 5) and counts["failed"] == 0:
        counts["failed"] = 1  # the run broke before reporting
    counts["seconds"] = time.time() - started
    return name, counts


def main(argv):
    os.makedirs(MATRIX_DIR, exist_ok=True)
    wanted = [p for p in PAIRS if not argv or any(a in name_of(*p) for a in argv)]
    results = [run_pair(*pair) for pair in wanted]
    print("\n%-28s %7s %7s %7s %8s" % ("pair", "passed", "failed", "skipped", "seconds"))
    for name, c in results:
        print("%-28s %7d %7d %7d %8.1f" % (name, c["passed"], c["failed"], c["skipped"], c["seconds"]))
    passed = sum(c["passed"] for _, c in results)
    failed = sum(c["failed"] for _, c in results)
    skipped = sum(c["skipped"] for _, c in results)
    print("matrix: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
