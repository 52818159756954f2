from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/token/", views.token, name="token"),
    path("account/token/remove/", views.token_remove, name="token_remove"),
    path("account/language/", views.language, name="language"),
]
