import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken
from knox.settings import knox_settings


def days(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME; print when it expires, then the token alone on the "
        "last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires-in",
            type=days,
            metavar="DAYS",
            help="Days until the token expires (0: never); default REGWATCH_TOKEN_TTL_DAYS.",
        )

    def handle(self, *args, username, expires_in, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if expires_in is None:
            ttl = knox_settings.TOKEN_TTL
        else:
            ttl = datetime.timedelta(days=expires_in) if expires_in else None
        instance, token = AuthToken.objects.create(user=user, expiry=ttl)
        self.stderr.write(
            f"Token for {username} (stored hashed; send it as 'Authorization: Token <token>'):"
        )
        expiry = instance.expiry
        self.stdout.write(
            f"Expires: {expiry.isoformat(timespec='seconds').replace('+00:00', 'Z')}"
            if expiry
            else "Expires: never"
        )
        self.stdout.write(token)
