"""The parts of django-allauth the panel uses, at their own addresses: sign-in and sign-out
(at the addresses operators bookmarked), confirming again, second factors, and single sign-on.
Sign-up, e-mail and password-reset pages are left out: accounts are made by administrators
or by single sign-on."""

from allauth.account import views as account
from allauth.mfa.base import views as mfa
from allauth.mfa.recovery_codes import views as recovery_codes
from allauth.mfa.totp import views as totp
from allauth.mfa.webauthn import views as webauthn
from allauth.socialaccount import views as social
from allauth.socialaccount.providers.openid_connect import views as oidc
from django.urls import path
from django.views.decorators.http import require_POST

from . import views

sign_out = require_POST(account.logout)

urlpatterns = [
    # The panel's names (bookmarks, LOGIN_URL) and allauth's for the same pages.
    path("accounts/login/", account.login, name="login"),
    path("accounts/login/", account.login, name="account_login"),
    path("accounts/logout/", sign_out, name="logout"),
    path("accounts/logout/", sign_out, name="account_logout"),
    path("accounts/inactive/", account.account_inactive, name="account_inactive"),
    path(
        "accounts/reauthenticate/",
        views.audited_reauthentication(account.reauthenticate),
        name="account_reauthenticate",
    ),
    path("accounts/2fa/", mfa.index, name="mfa_index"),
    path("accounts/2fa/authenticate/", mfa.authenticate, name="mfa_authenticate"),
    path(
        "accounts/2fa/reauthenticate/",
        views.audited_reauthentication(mfa.reauthenticate),
        name="mfa_reauthenticate",
    ),
    path("accounts/2fa/totp/activate/", totp.activate_totp, name="mfa_activate_totp"),
    path("accounts/2fa/totp/deactivate/", totp.deactivate_totp, name="mfa_deactivate_totp"),
    path(
        "accounts/2fa/recovery-codes/",
        recovery_codes.view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path(
        "accounts/2fa/recovery-codes/generate/",
        recovery_codes.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "accounts/2fa/recovery-codes/download/",
        recovery_codes.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path("accounts/2fa/webauthn/", webauthn.list_webauthn, name="mfa_list_webauthn"),
    path("accounts/2fa/webauthn/add/", webauthn.add_webauthn, name="mfa_add_webauthn"),
    path(
        "accounts/2fa/webauthn/reauthenticate/",
        views.audited_reauthentication(webauthn.reauthenticate_webauthn),
        name="mfa_reauthenticate_webauthn",
    ),
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        webauthn.remove_webauthn,
        name="mfa_remove_webauthn",
    ),
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/edit/",
        webauthn.edit_webauthn,
        name="mfa_edit_webauthn",
    ),
    path("accounts/2fa/webauthn/login/", webauthn.login_webauthn, name="mfa_login_webauthn"),
    path("accounts/sso/cancelled/", social.login_cancelled, name="socialaccount_login_cancelled"),
    path("accounts/sso/error/", social.login_error, name="socialaccount_login_error"),
    # allauth's sign-up form for single sign-on, never offered: the panel makes the account
    # itself or not at all (adapters.SocialAccountAdapter).
    path("accounts/sso/signup/", views.sso_sign_up, name="socialaccount_signup"),
    path("accounts/oidc/<str:provider_id>/login/", oidc.login, name="openid_connect_login"),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        oidc.callback,
        name="openid_connect_callback",
    ),
]
