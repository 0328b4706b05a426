"""URLs used only by the core tests, mounted under API and non-API prefixes."""

from django.contrib import admin
from django.urls import path

from tests import audit_views, habit_views, policy_views
from tests import core_views as views
from tests import ratelimit_views as rl

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/ok", views.Ok.as_view()),
    path("api/habits/customers", habit_views.ReturnsSerializerErrors.as_view()),
    path("api/habits/returns/<str:name>", habit_views.ReturnsErrorData.as_view()),
    path("api/validate", views.Validate.as_view()),
    path("api/raise/<str:name>", views.Raise.as_view()),
    path("api/third-party/<str:name>", views.ThirdParty.as_view()),
    path("api/creates-then-fails", views.CreatesThenFails.as_view()),
    path("api/upload/<str:filename>", views.Upload.as_view()),
    path("api/missing-group", views.MissingGroup.as_view()),
    path("api/session", views.SessionOnly.as_view()),
    path("api/basic", views.BasicOnly.as_view()),
    path("api/throttled", views.Throttled.as_view()),
    path("api/plain/raise/<str:name>", views.plain_raise),
    path("api/plain/html-404", views.plain_html_404),
    path("api/plain/json-429", views.plain_json_error),
    path("api/plain/ok", views.plain_ok),
    path("api/plain/csrf", views.csrf_protected_post),
    path("api/async/raise/<str:name>", views.async_raise),
    path("api/async/ok", views.async_ok),
    path("api/policy/protected", policy_views.Protected.as_view()),
    path("api/policy/w/<str:workspace>/protected", policy_views.Protected.as_view()),
    path("api/policy/unprotected", policy_views.Unprotected.as_view()),
    path("api/policy/exempt", policy_views.Exempt.as_view()),
    path("api/policy/exempt-attribute", policy_views.ExemptByAttribute.as_view()),
    path("api/policy/plain/<str:workspace>", policy_views.plain_protected),
    path("auth/token", rl.TokenEndpoint.as_view()),
    path("api/rl/counted", rl.Counted.as_view()),
    path("api/rl/w/<str:workspace>/counted", rl.Counted.as_view()),
    path("api/rl/other", rl.Other.as_view()),
    path("api/rl/scoped", rl.Scoped.as_view()),
    path("api/rl/fails", rl.Fails.as_view()),
    path("api/rl/default-throttles", rl.DefaultThrottles.as_view()),
    path("api/rl/unthrottled", rl.Unthrottled.as_view()),
    path("api/rl/plain", rl.plain),
    path("api/rl/plain/w/<str:workspace>", rl.plain),
    path("api/rl/callable", rl.callable_view),
    path("pages/raise/<str:name>", views.plain_raise),
    path("pages/ok", views.plain_ok),
    path("api/audit/fail/<str:name>", audit_views.WritesThenFails.as_view()),
    path("api/audit/w/<str:workspace>/fail/<str:name>", audit_views.WritesThenFails.as_view()),
    path("api/audit/details", audit_views.FailsWithDetails.as_view()),
    path("api/audit/plain-crash", audit_views.plain_writes_then_crashes),
    path("api/audit/checked", audit_views.WritesThenChecks.as_view()),
]

handler400 = "causeloop_errors.views.bad_request"
handler403 = "causeloop_errors.views.permission_denied"
handler404 = "causeloop_errors.views.page_not_found"
handler500 = "causeloop_errors.views.server_error"
