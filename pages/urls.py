from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.front_page, name="front"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("timeline/", views.timeline_picture, name="timeline"),
    path("timeline/measures/<slug:key>/", views.measure_picture, name="measure"),
]
