"""URLs of the example API, without trailing slashes."""

from django.urls import path

from example_project.demo import audit_views, mfa, views

urlpatterns = [
    path("auth/token", views.PasswordTokenView.as_view(), name="demo-token"),
    path("auth/exchange", views.TokenExchangeView.as_view(), name="demo-exchange"),
    path("api/me", views.MeView.as_view(), name="demo-me"),
    path("api/me/mfa/totp", mfa.TotpEnrollmentView.as_view(), name="demo-mfa-totp"),
    path("api/me/mfa/totp/confirm", mfa.TotpConfirmView.as_view(), name="demo-mfa-totp-confirm"),
    path("api/issues", views.IssueListView.as_view(), name="demo-issues"),
    path("api/issues/<str:issue_id>", views.IssueDetailView.as_view(), name="demo-issue"),
    path("api/service-accounts", views.ServiceAccountListView.as_view(), name="demo-service-accounts"),
    path("api/connectors", views.ConnectorListView.as_view(), name="demo-connectors"),
    path("api/demo/fail", views.FailView.as_view(), name="demo-fail"),
    path("api/audit-events", audit_views.AuditEventListView.as_view(), name="demo-audit-events"),
]
