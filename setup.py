import os
import re

from setuptools import setup

# One version source: async_legacy/__init__.py.
with open(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "async_legacy", "__init__.py"), encoding="utf-8"
) as f:
    VERSION = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)

setup(
    name="django-async-legacy",
    version=VERSION,
    description="Coroutine views on Django 1.11-3.0, the gaiohttp gunicorn worker, and a path to native ASGI.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    python_requires=">=3.7",
    # worker/ installs as async_legacy.worker, never as a top-level module.
    packages=[
        "async_legacy",
        "async_legacy.decorators",
        "async_legacy.lane",
        "async_legacy.management",
        "async_legacy.management.commands",
        "async_legacy.rest_framework",
        "async_legacy.worker",
    ],
    package_dir={"async_legacy": "async_legacy", "async_legacy.worker": "worker"},
    # PEP 561: type checkers read the annotations of the installed package.
    package_data={"async_legacy": ["py.typed"]},
    zip_safe=False,
    install_requires=["Django>=1.11", "asgiref>=3.7"],
    extras_require={
        "worker": ["gunicorn>=20", "aiohttp>=3.8"],
        "uvloop": ["uvloop"],
        "django-wsgi": ["django-wsgi"],
        "drf": ["djangorestframework"],
        "test": [
            "pytest",
            "requests",
            "hypothesis",
            "gunicorn>=20",
            "aiohttp>=3.8",
            "uvicorn",
            "daphne",
            "uvloop; sys_platform != 'win32'",
        ],
    },
    entry_points={
        "gunicorn.workers": [
            "gaiohttp = async_legacy.worker:GaiohttpWorker",
            "gaiohttp_uvloop = async_legacy.worker:GaiohttpUVLoopWorker",
        ]
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 1.11",
        "Framework :: Django :: 2.2",
        "Framework :: Django :: 3.0",
        "Framework :: Django :: 3.1",
        "Framework :: Django :: 3.2",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3 :: Only",
    ],
)
