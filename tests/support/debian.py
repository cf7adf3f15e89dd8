"""Debian packages the tests need (PostgreSQL, nginx), installed on first use."""

import glob
import os
import shutil
import subprocess

_updated = []


def ensure(package, *paths):
    """The first existing path among ``paths`` (globs), installing ``package``
    with apt-get when none exists. Raises RuntimeError naming the package when
    it cannot be installed (not root, no apt-get)."""
    found = _first(paths)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(
            "%s is not installed and apt-get cannot install it here (needs root on Debian): "
            "run `apt-get install %s`." % (package, package)
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _updated:
        subprocess.call(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        _updated.append(True)
    subprocess.check_call(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package], env=env, stdout=subprocess.DEVNULL
    )
    found = _first(paths)
    if not found:
        raise RuntimeError("apt-get installed %s but none of %s exists." % (package, ", ".join(paths)))
    return found


def _first(paths):
    for pattern in paths:
        for path in sorted(glob.glob(pattern), reverse=True):  # the newest version first
            if os.path.exists(path):
                return path
    return None
