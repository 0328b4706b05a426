"""Flattening DRF error trees into dot-paths: both list formats, escaping, and a property."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail

from causeloop_errors.paths import escape_key, first_per_path, flatten, split_path


def E(message: str, code: str = "invalid") -> ErrorDetail:
    return ErrorDetail(message, code)


# What DRF 3.18 reports for `items = Item(many=True)` with LIST_SERIALIZER_ERRORS_AS_DICT: int-keyed dicts.
DRF_318_MANY = {"items": {0: {"name": [E("This field is required.", "required")]}, 2: {"qty": [E("Bad.")]}}}
# What older DRF reports for the same input: a list with `{}` placeholders for valid items.
DRF_LEGACY_MANY = {"items": [{"name": [E("This field is required.", "required")]}, {}, {"qty": [E("Bad.")]}]}


def test_drf_318_many_errors_keep_index_zero() -> None:
    assert first_per_path(flatten(DRF_318_MANY)) == {"items.0.name": "This field is required.", "items.2.qty": "Bad."}


def test_legacy_list_format_with_placeholders_gives_the_same_paths() -> None:
    assert first_per_path(flatten(DRF_LEGACY_MANY)) == first_per_path(flatten(DRF_318_MANY))


def test_nested_serializer_and_list_field_errors_as_in_the_contract() -> None:
    detail = {
        "connector": {"config": {"api_key": [E("This field is required.", "required")]}},
        "tags": {1: [E("Not a valid string.")]},
    }
    assert first_per_path(flatten(detail)) == {
        "connector.config.api_key": "This field is required.",
        "tags.1": "Not a valid string.",
    }


def test_non_field_errors_stay_at_their_depth_and_all_is_renamed() -> None:
    detail = {
        "non_field_errors": [E("Top.")],
        "connector": {"__all__": [E("Inner.")]},
        "items": {0: {"non_field_errors": [E("Item.")]}},
    }
    assert first_per_path(flatten(detail)) == {
        "non_field_errors": "Top.",
        "connector.non_field_errors": "Inner.",
        "items.0.non_field_errors": "Item.",
    }


def test_top_level_list_of_messages_is_non_field() -> None:
    assert first_per_path(flatten([E("Whole thing is wrong.")])) == {"non_field_errors": "Whole thing is wrong."}


def test_top_level_many_list_uses_bare_indexes() -> None:
    assert first_per_path(flatten([{}, {"name": [E("Required.")]}])) == {"1.name": "Required."}


def test_one_string_per_field_keeps_the_first_and_flatten_keeps_all_with_codes() -> None:
    detail = {"password": [E("Too short.", "min_length"), E("Too common.", "password_too_common")]}
    errors = flatten(detail)
    assert first_per_path(errors) == {"password": "Too short."}
    assert [(e.path, e.message, e.code) for e in errors] == [
        ("password", "Too short.", "min_length"),
        ("password", "Too common.", "password_too_common"),
    ]


def test_keys_with_dots_and_digit_keys_are_escaped_not_nested() -> None:
    detail = {"labels": {"a.b": [E("x")], "1": [E("y")], "back\\slash": [E("z")]}, "list": {1: [E("w")]}}
    assert list(first_per_path(flatten(detail))) == ["labels.a\\.b", "labels.\\1", "labels.back\\\\slash", "list.1"]


def test_split_path_reverses_the_escaping() -> None:
    assert split_path("labels.a\\.b") == ["labels", "a.b"]
    assert split_path("labels.\\1") == ["labels", "1"]
    assert split_path("items.0.name") == ["items", 0, "name"]
    assert split_path(escape_key("a\\.1")) == ["a\\.1"]


# --- property: every leaf message appears exactly once, under a unique path that splits back to its keys ---

_keys = st.one_of(st.text(max_size=6), st.integers(min_value=0, max_value=5))


def _trees(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.lists(leaf, min_size=1, max_size=3),
        lambda children: st.one_of(
            st.dictionaries(_keys, children, min_size=1, max_size=4),
            st.lists(st.one_of(children, st.just({})), min_size=1, max_size=4),
        ),
        max_leaves=25,
    )


@given(_trees(st.builds(lambda: None)))
def test_every_leaf_appears_once_under_a_unique_path(shape: Any) -> None:
    counter = iter(range(10_000))

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: fill(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        return E(f"m{next(counter)}")

    tree = fill(shape)
    errors = flatten(tree)
    messages = [error.message for error in errors]
    assert sorted(messages) == sorted(set(messages)) == sorted(str(m) for m in _all_leaves(tree))
    for error in errors:  # the path splits back to exactly the keys that lead to the leaf: no two leaves collide
        assert split_path(error.path) == _keys_of(tree, error.message)


def _all_leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _all_leaves(value)]
    if isinstance(node, list):
        return [leaf for item in node for leaf in _all_leaves(item)]
    return [node]


def _keys_of(node: Any, message: str, keys: tuple[Any, ...] = ()) -> list[Any] | None:
    if isinstance(node, dict):
        for key, value in node.items():
            key = "non_field_errors" if key == "__all__" else key
            found = _keys_of(value, message, (*keys, key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found = _keys_of(item, message, (*keys, index) if isinstance(item, (dict, list)) else keys)
            if found is not None:
                return found
    elif str(node) == message:
        return list(keys) if keys else ["non_field_errors"]
    return None
