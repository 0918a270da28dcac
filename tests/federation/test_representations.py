"""Building ``_entities`` representations: one per distinct key, every object it stands for."""

from gateway.federation.executor.entities import representations
from gateway.federation.plan import EntityInputSpec, InputField

LONE = {"User": EntityInputSpec("User", (InputField("id", "id"),), ("id",))}
COMPOSITE = {"User": EntityInputSpec("User", (InputField("id", "id"), InputField("org", "org")),
                                     ("id", "org"))}


def test_a_lone_key_is_the_fast_path_and_equal_keys_share_a_representation() -> None:
    assert LONE["User"].lone_key == "id"
    assert COMPOSITE["User"].lone_key is None
    a, b, c = {"__typename": "User", "id": "1"}, {"__typename": "User", "id": "2"}, \
        {"__typename": "User", "id": "1"}
    reps, targets = representations([a, b, c], LONE)
    assert reps == [{"__typename": "User", "id": "1"}, {"__typename": "User", "id": "2"}]
    assert targets == [[a, c], [b]]
    assert targets[0][1] is c


def test_key_values_of_different_json_never_share() -> None:
    """1, 1.0, True and "1" are four keys (Python would call the first three equal)."""
    objects = [{"__typename": "User", "id": value, "org": "o"} for value in (1, 1.0, True, "1", 1)]
    for inputs in (LONE, COMPOSITE):
        reps, targets = representations(objects, inputs)
        assert [rep["id"] for rep in reps] == [1, 1.0, True, "1"]
        assert [len(group) for group in targets] == [2, 1, 1, 1]


def test_objects_without_their_key_or_of_another_type_are_left_out() -> None:
    objects = [{"__typename": "User", "id": None}, {"__typename": "User"},
               {"__typename": "Org", "id": "1"}, {"__typename": "User", "id": {"b": 1, "a": 2}},
               {"__typename": "User", "id": {"a": 2, "b": 1}}]
    reps, targets = representations(objects, LONE)
    assert reps == [{"__typename": "User", "id": {"b": 1, "a": 2}}]
    assert targets == [[objects[3], objects[4]]]
