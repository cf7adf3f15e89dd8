#!/usr/bin/env python3
"""In-process cost of the legacy pipeline vs Django's own WSGIHandler.

N requests to an async hello view through AsyncDjangoApplication, and the same
N through Django's WSGIHandler to the equivalent sync view, on two stacks:
  typical    Security, Session, Common, Csrf, Auth, Messages, XFrameOptions
  realistic  the typical stack plus LocaleMiddleware and one small project
             middleware (a MiddlewareMixin reading a request header and setting
             a response header), async_legacy installed
  async-typical  the typical stack rewritten as Django 3.1-style async
             middleware (each an ``async def __call__`` class, async_capable,
             running the original's hooks around ``await get_response``),
             compared with the sync originals, both through
             AsyncDjangoApplication (the legacy pipeline)
Each side runs in its own fresh process (ours patches Django's thread-locals),
in alternating rounds of one run; the best round of each is compared.

    python3 scripts/bench_pipeline.py [--python 3.8] [--django 2.2] [-n 5000] [--rounds 5] [--stack typical]
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CHILD = r'''
import asyncio, io, sys, time
import django
from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

class ProjectMiddleware(MiddlewareMixin):
    """A project's own small middleware: reads a request header, sets a response header."""

    def process_request(self, request):
        request.client_tag = request.META.get("HTTP_X_CLIENT", "anonymous")

    def process_response(self, request, response):
        response["X-Client"] = getattr(request, "client_tag", "-")
        return response

kind, n, stack = sys.argv[1], int(sys.argv[2]), sys.argv[3]
middleware = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
apps = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages"]
if stack == "realistic":
    middleware.insert(2, "django.middleware.locale.LocaleMiddleware")
    middleware.append("__main__.ProjectMiddleware")
    apps.append("async_legacy")
if stack == "async-typical":
    from asgiref.sync import markcoroutinefunction
    from django.utils.module_loading import import_string

    def rewritten(path):
        """``path``'s middleware as an async def __call__ class: its hooks around the await."""
        class Rewritten:
            async_capable = True
            sync_capable = False

            def __init__(self, get_response):
                self.get_response = get_response
                markcoroutinefunction(self)
                self.hooks = import_string(path)(get_response)  # imported once Django is set up
                self.process_request = getattr(self.hooks, "process_request", None)
                self.process_response = getattr(self.hooks, "process_response", None)
                if hasattr(self.hooks, "process_view"):
                    self.process_view = self.hooks.process_view

            async def __call__(self, request):
                response = self.process_request(request) if self.process_request else None
                if response is None:
                    response = await self.get_response(request)
                if self.process_response:
                    response = self.process_response(request, response)
                return response

        Rewritten.__name__ = Rewritten.__qualname__ = "Async" + path.rsplit(".", 1)[1]
        globals()[Rewritten.__name__] = Rewritten
        return "__main__." + Rewritten.__name__

    middleware = [rewritten(path) for path in middleware]
settings.configure(
    DEBUG=False, SECRET_KEY="bench", ALLOWED_HOSTS=["*"], ROOT_URLCONF="__main__",
    INSTALLED_APPS=apps, MIDDLEWARE=middleware, USE_I18N=True,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
from django.http import HttpResponse
try:
    from django.urls import re_path
except ImportError:
    from django.conf.urls import url as re_path

def hello_sync(request):
    return HttpResponse("Hello, world!")

async def hello_async(request):
    return HttpResponse("Hello, world!")

urlpatterns = [re_path(r"^hello/sync/$", hello_sync), re_path(r"^hello/async/$", hello_async)]

def environ(path):
    return {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000", "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }

def start_response(status, headers, exc_info=None):
    assert status == "200 OK", status

if kind == "wsgi":
    from django.core.handlers.wsgi import WSGIHandler
    app = WSGIHandler()
    def run(count):
        for _ in range(count):
            result = app(environ("/hello/sync/"), start_response)
            b"".join(result)
            result.close()
    run(200)
    started, cpu = time.perf_counter(), time.process_time()
    run(n)
else:
    from async_legacy import AsyncDjangoApplication
    from async_legacy.coroutine_wsgi import ENVIRON_KEY, VERSION
    app = AsyncDjangoApplication()
    async def run(count):
        for _ in range(count):
            env = environ("/hello/async/")
            env[ENVIRON_KEY] = VERSION
            body = await app(env, start_response)
            async for chunk in body:
                pass
            await body.aclose()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(run(200))
    started, cpu = time.perf_counter(), time.process_time()
    loop.run_until_complete(run(n))
# Wall time, then this process's CPU time (steadier on a shared machine).
print(time.perf_counter() - started, time.process_time() - cpu)
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default="3.8")
    parser.add_argument("--django", default="2.2")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--stack",
        action="append",
        choices=("typical", "realistic", "async-typical"),
        help="middleware stack (repeatable; default typical and realistic)",
    )
    args = parser.parse_args()
    for stack in args.stack or ("typical", "realistic"):
        compare(args, stack)
    return 0


#: What each --stack compares: (label, child kind, child stack) for the baseline, then ours; the target.
SIDES = {
    "async-typical": (
        ("AsyncDjangoApplication, sync originals -> async hello", "async", "typical"),
        ("AsyncDjangoApplication, async rewrites -> async hello", "async", "async-typical"),
        "ratio (async rewrites / sync originals): %.3f  (target <= 1.00)",
    ),
}


def compare(args, stack):
    from matrix import venv_for

    python = os.path.join(venv_for(args.python, args.django), "python")
    baseline, ours, target = SIDES.get(
        stack,
        (
            ("Django WSGIHandler -> sync hello", "wsgi", stack),
            ("AsyncDjangoApplication -> async hello", "async", stack),
            "ratio (async / WSGI): %.3f  (target <= 1.10)",
        ),
    )
    best = {baseline: float("inf"), ours: float("inf")}
    best_cpu = dict(best)
    ratios, cpu_ratios = [], []
    for _ in range(args.rounds):
        times, cpu = {}, {}
        for side in (baseline, ours):
            _, kind, child_stack = side
            out = subprocess.check_output([python, "-c", CHILD, kind, str(args.n), child_stack], cwd="/", text=True)
            times[side], cpu[side] = map(float, out.strip().splitlines()[-1].split())
            best[side] = min(best[side], times[side])
            best_cpu[side] = min(best_cpu[side], cpu[side])
        ratios.append(times[ours] / times[baseline])
        cpu_ratios.append(cpu[ours] / cpu[baseline])
    print(
        "Python %s, Django %s, %d requests, %s stack, best of %d rounds"
        % (args.python, args.django, args.n, stack, args.rounds)
    )
    for side in (baseline, ours):
        print("%-56s %8.3f s  %7.1f us/request" % (side[0], best[side], best[side] / args.n * 1e6))
    print(target % (best[ours] / best[baseline]))
    print("per-round ratios (alternating): %s" % " ".join("%.3f" % r for r in ratios))
    print(
        "CPU time: best %.3f s / %.3f s, ratio %.3f; per round %s\n"
        % (
            best_cpu[baseline],
            best_cpu[ours],
            best_cpu[ours] / best_cpu[baseline],
            " ".join("%.3f" % r for r in cpu_ratios),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
