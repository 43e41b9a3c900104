"""Rate limits read from settings at request time, so deployments (and tests) can change them."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.REGWATCH_THROTTLE_ANON


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.REGWATCH_THROTTLE_USER
