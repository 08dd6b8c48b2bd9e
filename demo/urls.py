from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from post_office.stats.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("webhooks/", include("post_office.webhooks.urls")),  # SES and SparkPost delivery events
    path("metrics", metrics),  # Prometheus text format: staff with view_email, or POST_OFFICE['METRICS_TOKEN']
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
