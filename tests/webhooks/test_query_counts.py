from django.utils import timezone

from changelog.models import Change
from webhooks.models import Attempt, Delivery, Subscription


def make_attempts(owner, count: int) -> Subscription:
    subscription = Subscription.objects.create(owner=owner, target_url="https://hooks.example.com/")
    now = timezone.now()
    for number in range(count):
        change = Change.objects.create(
            position=10_000_000 + number, kind="measure", key=f"m{number}", object_id=number,
            action="updated", version=number, changed_at=now,
        )  # fmt: skip
        delivery = Delivery.objects.create(subscription=subscription, change=change)
        Attempt.objects.create(delivery=delivery, number=1, attempted_at=now, response_status=200)
    return subscription


def test_the_delivery_log_reads_a_fixed_number_of_queries_whatever_its_length(
    reader_client, django_assert_num_queries
):
    from django.contrib.auth.models import User

    owner = User.objects.get(username="reader")
    subscription = make_attempts(owner, 30)
    url = f"/api/v1/subscriptions/{subscription.pk}/deliveries/?page_size=30"
    reader_client.get(url)  # the token's first use is recorded once

    # the token with its user, the token again (knox), the subscription, the timeline version
    # (the count's cache key), the count, the page of attempts with their deliveries and changes
    with django_assert_num_queries(6):
        assert len(reader_client.get(url).json()["results"]) == 30


def test_the_subscriptions_list_reads_a_fixed_number_of_queries(
    reader_client, django_assert_num_queries
):
    from django.contrib.auth.models import User

    owner = User.objects.get(username="reader")
    for _ in range(5):
        make_attempts(owner, 0)
    reader_client.get("/api/v1/subscriptions/")

    # the token with its user, the token again (knox), the timeline version, the count, the page
    with django_assert_num_queries(5):
        assert len(reader_client.get("/api/v1/subscriptions/").json()["results"]) == 5
