"""Routes recorded as data: a module's views are listed by its decorators, and a blueprint made per app
(console, API, simulator) adds them. Importing a views module therefore registers nothing, and two
apps in one process (the tests build many) each get their own blueprint."""
from __future__ import annotations

from flask import Blueprint


class Routes:
    """A views module's routes (and context processors), recorded by its decorators; add_to() puts them
    on one app's blueprint."""

    def __init__(self):
        self.calls: list[tuple[str, tuple, dict, object]] = []

    def _record(self, method: str, *args, **options):
        def record(view):
            self.calls.append((method, args, options, view))
            return view
        return record

    def route(self, rule: str, **options):
        return self._record("route", rule, **options)

    def get(self, rule: str, **options):
        return self._record("get", rule, **options)

    def post(self, rule: str, **options):
        return self._record("post", rule, **options)

    def patch(self, rule: str, **options):
        return self._record("patch", rule, **options)

    def delete(self, rule: str, **options):
        return self._record("delete", rule, **options)

    def context_processor(self, fn):
        self.calls.append(("context_processor", (), {}, fn))
        return fn

    def add_to(self, bp: Blueprint) -> None:
        for method, args, options, fn in self.calls:
            if method == "context_processor":
                bp.context_processor(fn)
            else:
                getattr(bp, method)(*args, **options)(fn)
