"""The settings object: documented defaults, and values read on every access."""

from __future__ import annotations

from django.test import override_settings

from causeloop_errors.conf import DEFAULTS, app_settings


@override_settings(CAUSELOOP_ERRORS={})
def test_defaults_when_nothing_is_set() -> None:
    assert app_settings.API_PATH_PREFIXES == ("/api/", "/auth/")
    assert app_settings.TRUST_REQUEST_ID_HEADER is False
    assert app_settings.CODES == ()
    assert app_settings.WWW_AUTHENTICATE == 'Bearer realm="api"'
    assert app_settings.DEFAULT_RETRY_AFTER == 60
    assert app_settings.INCLUDE_FIELD_ERRORS is False


def test_every_default_has_a_property() -> None:
    assert all(isinstance(getattr(type(app_settings), name), property) for name in DEFAULTS)


def test_override_settings_takes_effect_without_reloading() -> None:
    with override_settings(CAUSELOOP_ERRORS={"API_PATH_PREFIXES": ["/v1/"], "DEFAULT_RETRY_AFTER": 5}):
        assert app_settings.API_PATH_PREFIXES == ("/v1/",)
        assert app_settings.DEFAULT_RETRY_AFTER == 5
    assert app_settings.DEFAULT_RETRY_AFTER == 60


def test_values_of_the_wrong_type_fall_back_to_safe_defaults() -> None:
    bad = {
        "API_PATH_PREFIXES": None,
        "TRUST_REQUEST_ID_HEADER": "false",
        "CODES": None,
        "DEFAULT_RETRY_AFTER": "sixty",
        "INCLUDE_FIELD_ERRORS": "yes",
        "WWW_AUTHENTICATE": 123,
    }
    with override_settings(CAUSELOOP_ERRORS=bad):
        assert app_settings.API_PATH_PREFIXES == ("/api/", "/auth/")
        assert app_settings.TRUST_REQUEST_ID_HEADER is False
        assert app_settings.CODES == ()
        assert app_settings.DEFAULT_RETRY_AFTER == 60
        assert app_settings.INCLUDE_FIELD_ERRORS is False
        assert app_settings.WWW_AUTHENTICATE == 'Bearer realm="api"'
    with override_settings(CAUSELOOP_ERRORS={"API_PATH_PREFIXES": ["api/", 5], "WWW_AUTHENTICATE": ""}):
        assert app_settings.API_PATH_PREFIXES == ("/api/", "/auth/")
        assert app_settings.WWW_AUTHENTICATE == 'Bearer realm="api"'


def test_trusted_proxies_are_parsed_networks_and_bad_entries_are_dropped() -> None:
    import ipaddress

    with override_settings(CAUSELOOP_ERRORS={"TRUSTED_PROXIES": ["10.0.0.0/8", "bogus", "2001:db8::/32"]}):
        expected = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))
        networks = app_settings.TRUSTED_PROXIES
        assert networks == expected
    assert app_settings.TRUSTED_PROXIES == ()
    assert app_settings.RATELIMIT_IETF_HEADERS is False
