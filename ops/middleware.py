"""Probes and scrapes answered first, before the host check, the HTTPS redirect, sessions,
authentication and rate limits: load balancers and Prometheus address a process directly (by
its IP address, often over plain HTTP inside the network), every few seconds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from .health import readiness
from .metrics import metrics_view


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answers: nothing else is checked."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Every readiness check passes: 200 ``{"status": "ready", "checks": {name: "ok"}}``;
    else 503 ``{"status": "not_ready", "failing": [names], "checks": {name: "ok" or the
    error's type}}``."""
    checks = readiness()
    failing = sorted(name for name, outcome in checks.items() if outcome != "ok")
    if failing:
        return JsonResponse(
            {"status": "not_ready", "failing": failing, "checks": checks}, status=503
        )
    return JsonResponse({"status": "ready", "checks": checks})


ROUTES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class OperationsMiddleware:
    """Answers ``/healthz``, ``/readyz`` and ``/metrics`` (GET and HEAD), never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ROUTES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        else:
            response = view(request)
        response["Cache-Control"] = "no-store"
        return response
