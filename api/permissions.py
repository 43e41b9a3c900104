from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class ReadOpenWriteWithModelPermission(DjangoModelPermissions):
    """Reads are open (unless REGWATCH_API_REQUIRE_AUTH); writes need the model's permission."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return not settings.REGWATCH_API_REQUIRE_AUTH or bool(
                request.user and request.user.is_authenticated
            )
        return super().has_permission(request, view)
