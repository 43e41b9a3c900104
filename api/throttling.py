"""Rate limits read from settings at request time, so deployments (and tests) can change them.

A request a layer in front of Django has already counted against them, and found allowed
(``api.direct_reads``, which then left it to Django), carries ``COUNTED_IN_FRONT`` in its
environ and is not counted twice. Clients cannot set it: the environ names their headers
``HTTP_...``."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

COUNTED_IN_FRONT = "regwatch.throttles_counted"


def client_address(request) -> str | None:
    """The client's address as the rate limits read it, for the admin lockouts too: the direct
    peer's, or with ``REGWATCH_PROXY_COUNT`` proxies in front (DRF's ``NUM_PROXIES``), the
    address the outermost of them wrote into ``X-Forwarded-For`` (DRF's ``get_ident``)."""
    return BaseThrottle().get_ident(request)


class CountedOnceMixin:
    def allow_request(self, request, view) -> bool:
        if request._request.META.get(COUNTED_IN_FRONT):
            return True
        return super().allow_request(request, view)


class AnonThrottle(CountedOnceMixin, AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.REGWATCH_THROTTLE_ANON


class UserThrottle(CountedOnceMixin, UserRateThrottle):
    """Signed-in users, each by their id. Anonymous clients are AnonThrottle's alone: DRF's
    UserRateThrottle counts them too, by address, against the users' limit, so emptying
    REGWATCH_THROTTLE_ANON left them limited."""

    def get_rate(self) -> str | None:
        return settings.REGWATCH_THROTTLE_USER

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
