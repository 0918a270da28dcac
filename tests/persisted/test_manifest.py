"""Reading manifests: Apollo's JSON format and .graphql documents; anything malformed is
refused whole, naming the operation; formatting never changes an operation's canonical hash."""

import json

import pytest

from gateway.persisted.extension import sha256_hex
from gateway.persisted.manifest import ManifestError, read_manifest
from gateway.persisted.operations import parse_document, select
from tests.persisted.manifests import APOLLO_MANIFEST, GRAPHQL_FILE, REVIEWS_BODY, USER_BODY


def test_apollo_manifest() -> None:
    reviews, user = read_manifest(APOLLO_MANIFEST)
    assert (reviews.id, reviews.name, reviews.type) == (sha256_hex(REVIEWS_BODY), "Reviews",
                                                        "query")
    assert (user.id, user.body, user.name) == ("erp-user-v1", USER_BODY, "User")
    assert user.keys == ("erp-user-v1", sha256_hex(USER_BODY), user.operation.canonical_hash)


def test_graphql_file_one_entry_per_named_operation_with_its_fragments() -> None:
    top, touch = read_manifest(GRAPHQL_FILE)
    assert (top.name, top.type, touch.name, touch.type) == ("Top", "query", "Touch", "mutation")
    assert "fragment Item on Product" in top.body and "fragment" not in touch.body
    assert top.id == sha256_hex(top.body) == top.operation.canonical_hash


def test_formatting_and_fragment_order_do_not_change_the_canonical_hash() -> None:
    a = ("query Q { user(id: 1) { ...A ...B } } fragment B on User { id } "
         "fragment A on User { username }")
    b = ("# comment\nquery Q {\n  user(id: 1) {\n    ...A, ...B\n  }\n}\n"
         "fragment A on User { username }\nfragment B on User { id }\nquery Other { x }")
    assert select(parse_document(a), "Q").canonical_hash == \
        select(parse_document(b), "Q").canonical_hash


def _apollo(*operations: object, **overrides: object) -> str:
    return json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                       "operations": list(operations), **overrides})


OK = {"id": "a", "body": "query A { x }", "name": "A", "type": "query"}


@pytest.mark.parametrize(("text", "message"), [
    ("{ not json", "not valid JSON"),
    (json.dumps({"format": "other", "version": 1, "operations": []}), '"format"'),
    (_apollo(OK, version=2), "version 2"),
    (_apollo(operations="x"), '"operations" must be a list'),
    (_apollo(), "no operations"),
    (_apollo("x"), "operations[0] must be an object"),
    (_apollo({**OK, "id": ""}), "operations[0]: id must be"),
    (_apollo({**OK, "id": "has space"}), "operations[0]: id must be"),
    (_apollo({**OK, "body": 3}), "body must be the operation's text"),
    (_apollo(OK, {**OK, "id": "b", "body": "query B { x ", "name": "B"}),
     "operations[1] (B): the body does not parse"),
    (_apollo({**OK, "type": "mutation"}), "type says 'mutation'"),
    (_apollo({**OK, "name": "Z"}), "has no operation named 'Z'"),
    (_apollo(OK, {**OK, "body": "query A { y }"}), "id a is given to two different"),
    (_apollo({**OK, "body": "query A { ...F }"}), "uses fragment 'F'"),
    ("query A { x } { y }", "anonymous operation among several"),
    ("query A { x", "does not parse"),
    ("fragment F on T { x }", "no operations"),
])
def test_malformed_manifests_are_refused(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as raised:
        read_manifest(text)
    assert message in str(raised.value)


def test_repeats_of_one_operation_count_once() -> None:
    assert len(read_manifest(_apollo(OK, OK))) == 1
