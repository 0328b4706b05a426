"""Rate-limit rules: limits defined in the Django admin, counted by django-ratelimit.

Add ``"causeloop_errors.ratelimits"`` to ``INSTALLED_APPS`` (after ``causeloop_errors``), install the
``[ratelimit]`` extra, and count user, token and workspace rules with
``causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle``. The flow: ``models`` → ``rules`` (snapshots and
what they cover) → ``store`` → ``decisions`` (counting) → ``throttling`` (the middleware's guard and DRF's throttle).
"""
