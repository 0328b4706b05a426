"""``ErrorAutoSchema``: drf-spectacular's ``AutoSchema`` with every error an operation can answer documented."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent

from causeloop_errors import catalog, wiring
from causeloop_errors.codes import ErrorCode
from causeloop_errors.conf import app_settings
from causeloop_errors.openapi import schemas, statuses
from causeloop_errors.openapi.statuses import CODES_ATTRIBUTE, STATUSES_ATTRIBUTE, Operation
from causeloop_errors.styles import Style, configured_style, load

ENVELOPE = "ErrorEnvelope"
PROBLEM = "problem"
_PAGE_PARAMETERS = ("page_query_param", "cursor_query_param")  # paginators that answer 404 to a bad page


def codes_for(status: int, view: Any = None) -> list[ErrorCode]:
    """Return the codes ``view`` can answer with ``status``; with none, the generic code the app degrades to.

    A feature's codes (e.g. the policy codes) are listed only where the feature applies (``view`` None: the
    project's wired features).
    """
    if view is None:
        applied = {found.name for found in wiring.features() if wiring.wired(found.name)}
    else:
        applied = {found.name for found in statuses.features_of(view)}
    registered = [entry for entry in wiring.wired_codes() if entry.status == status]
    chosen = [entry for entry in registered if entry.feature is None or entry.feature in applied]
    return chosen or [catalog.generic_for_status(status)]


class ErrorAutoSchema(AutoSchema):
    """Add the error envelope to every operation: one response per error status, its codes and headers.

    The statuses follow from the view (see ``causeloop_errors.openapi.statuses``); a view overrides them
    with ``error_statuses`` (replace) and ``error_codes`` (add the statuses of these codes), each a
    collection or a mapping by HTTP method or viewset action. An error status declared with no body
    in ``extend_schema(responses=...)`` is documented with the envelope too.
    """

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            self._envelope(None, wiring.wired_codes())  # the shape every error the project answers has
            self._add_errors(operation)
        return operation

    def _shape(self, operation: dict[str, Any]) -> Operation:
        parameters = [item for item in operation.get("parameters", []) if isinstance(item, dict)]
        paginator = getattr(self.view, "paginator", None)
        pages = {getattr(paginator, name, None) for name in _PAGE_PARAMETERS} - {None}
        return Operation(
            method=self.method,
            action=getattr(self.view, "action", None),
            has_body="requestBody" in operation,
            has_path_parameters=any(item.get("in") == "path" for item in parameters),
            paginated=any(item.get("in") == "query" and item.get("name") in pages for item in parameters),
        )

    def error_statuses(self, operation: dict[str, Any]) -> set[int]:
        """Return the operation's error statuses: inferred or overridden, plus those of its declared codes."""
        shape = self._shape(operation)
        replaced = statuses.declared(self.view, STATUSES_ATTRIBUTE, shape)
        found = set(statuses.inferred(self.view, shape) if replaced is None else replaced)
        self._declared_codes = [code for code in statuses.declared(self.view, CODES_ATTRIBUTE, shape) or ()]
        for code in self._declared_codes:
            entry = catalog.get(code)
            if entry is None:
                warn(f"{CODES_ATTRIBUTE} names {code!r}, which is not a registered error code")
            else:
                found.add(entry.status)
        for status in list(found):
            if not isinstance(status, int) or not 400 <= status <= 599:
                warn(f"{STATUSES_ATTRIBUTE} names {status!r}, which is not an error status (400-599)")
                found.discard(status)
        bodiless = {
            int(key) for key, response in operation["responses"].items() if key.isdigit() and "content" not in response
        }
        return found | {status for status in bodiless if 400 <= status <= 599} | statuses.ALWAYS

    def _add_errors(self, operation: dict[str, Any]) -> None:
        responses: dict[str, Any] = operation["responses"]
        for status in sorted(self.error_statuses(operation)):
            own = responses.get(str(status), {})
            if "content" not in own:  # a body the view documents itself is kept
                responses[str(status)] = self._error_response(status, own.get("description"))
        operation["responses"] = responses = dict(sorted(responses.items()))
        common = [schemas.request_id_header()]
        for found in statuses.features_of(self.view):
            common += [name for name in found.headers if name in schemas.headers()]
        for response in responses.values():
            if "$ref" in response:
                continue  # a response component of the host's: its headers are its own
            headers = response.setdefault("headers", {})
            for name in common:
                headers.setdefault(name, self._header(name))

    def _error_response(self, status: int, description: str | None) -> dict[str, Any]:
        codes = codes_for(status, self.view)
        for code in getattr(self, "_declared_codes", ()):  # what the view says it raises, a feature's code too
            entry = catalog.get(code) if isinstance(code, str) else None
            if entry is not None and entry.status == status and entry not in codes:
                codes.append(entry)
        # The project's codes of the status share one component; another set (a policy-exempt view's 403) is named
        # after its codes, e.g. ErrorEnvelope403Forbidden.
        variant = "" if codes == codes_for(status) else "".join(entry.code.title().replace("_", "") for entry in codes)
        headers: dict[str, Any] = {}
        if status == 401:
            headers["WWW-Authenticate"] = self._header("WWW-Authenticate")
        if status in (429, 503):
            headers["Retry-After"] = schemas.retry_after_header(required=status == 429)
        return {
            "description": schemas.describe(status, codes, summary=description),
            "headers": headers,
            "content": self._content(status, codes, variant),
        }

    def _content(self, status: int, codes: Sequence[ErrorCode], variant: str = "") -> dict[str, Any]:
        """Return the error body by media type: the configured style's, and problem details when negotiable.

        Error bodies never depend on the ``Accept`` header otherwise (they are JSON even for ``text/html``).
        """
        style = configured_style()
        content = {style.content_type: {"schema": self._envelope(status, codes, variant=variant)}}
        problem = load(PROBLEM)
        if app_settings.NEGOTIATE_PROBLEM_DETAILS and problem.content_type not in content:
            content[problem.content_type] = {"schema": self._envelope(status, codes, problem, variant)}
        return content

    def _envelope(
        self, status: int | None, codes: Sequence[ErrorCode], style: Style | None = None, variant: str = ""
    ) -> dict[str, str]:
        """Return the reference to the body component of ``status`` (all codes: None), registering it once."""
        name = ENVELOPE if style is None else "Problem"
        name = name if status is None else f"{name}{status}{variant}"
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name)
        if component not in self.registry:
            component.schema = schemas.body_schema(codes, style)
            self.registry.register(component)
        return component.ref

    def _header(self, name: str) -> dict[str, str]:
        """Return the reference to the header component ``name``, registering it once."""
        component = ResolvedComponent(name=name, type=ResolvedComponent.HEADER, object=name)
        if component not in self.registry:
            component.schema = schemas.headers()[name]
            self.registry.register(component)
        return component.ref
