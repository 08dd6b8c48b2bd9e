"""The test project's URLs plus the metrics view, mounted as a project would."""

from django.contrib import admin
from django.urls import path

from post_office.stats.views import metrics

urlpatterns = [path("admin/", admin.site.urls), path("metrics", metrics)]
