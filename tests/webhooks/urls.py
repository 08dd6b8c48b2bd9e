from django.urls import include, path

urlpatterns = [
    path("webhooks/", include("post_office.webhooks.urls")),
    path("anymail/", include("anymail.urls")),
]
