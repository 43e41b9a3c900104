from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from changelog.views import ChangeFeedView
from webhooks.views import router as webhook_router

from . import imports, views
from .schema_view import SchemaView

app_name = "api"

router = DefaultRouter()
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("materials", views.MaterialViewSet, basename="material")
router.register("jurisdictions", views.JurisdictionViewSet, basename="jurisdiction")
router.register("authorities", views.AuthorityViewSet, basename="authority")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("hs", views.HSCodeViewSet, basename="hs-code")

urlpatterns = [
    path(
        "v1/measures/<slug:key>/timeline/",
        views.MeasureTimelineView.as_view(),
        name="measure-timeline",
    ),
    path(
        "v1/materials/<slug:slug>/timeline/",
        views.MaterialTimelineView.as_view(),
        name="material-timeline",
    ),
    # A measure's history outlives the measure, so it lives outside the measure's address.
    path(
        "v1/history/measures/<slug:key>/",
        views.MeasureHistoryView.as_view(),
        name="measure-history",
    ),
    path(
        "v1/history/measures/<slug:key>/<int:version>/restore/",
        views.MeasureRestoreView.as_view(),
        name="measure-restore",
    ),
    path(
        "v1/measures/<slug:key>/history/",
        views.NestedMeasureHistoryView.as_view(),
        name="measure-history-nested",
    ),
    path(
        "v1/measures/<slug:key>/history/<int:version>/restore/",
        views.NestedMeasureRestoreView.as_view(),
        name="measure-restore-nested",
    ),
    path("v1/events/", views.EventFeedView.as_view(), name="event-list"),
    path("v1/imports/", imports.ImportView.as_view(), name="import"),
    path("v1/changes/", ChangeFeedView.as_view(), name="change-list"),
    path("v1/", include(webhook_router.urls)),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
]
