import pytest

from verdigris.domain.names import NameParts, compose_name, split_name


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("My Lead", NameParts(None, "My", None, "Lead", None)),
        ("Dr. Jane Q. Public Jr.", NameParts("Dr.", "Jane", "Q.", "Public", "Jr.")),
        ("Madonna", NameParts(None, "Madonna", None, None, None)),
        ("  Ada   Lovelace ", NameParts(None, "Ada", None, "Lovelace", None)),
        ("Jan van der Berg", NameParts(None, "Jan", "van der", "Berg", None)),
        ("John Smith, Jr.", NameParts(None, "John", None, "Smith", "Jr.")),
        ("Ms Grace Hopper PhD", NameParts("Ms", "Grace", None, "Hopper", "PhD")),
        # an honorific alone is a first name, not a prefix of nothing
        ("Dr.", NameParts(None, "Dr.", None, None, None)),
    ],
)
def test_split_name(full: str, parts: NameParts) -> None:
    assert split_name(full) == parts


def test_compose_from_first_and_last() -> None:
    assert compose_name(NameParts(None, "Ada", None, "Lovelace", None)) == "Ada Lovelace"


def test_compose_skips_empty_parts() -> None:
    assert compose_name(NameParts("Dr.", "Jane", "", "Public", None)) == "Dr. Jane Public"
    assert compose_name(NameParts(None, None, None, None, None)) is None


def test_split_then_compose_round_trips() -> None:
    for full in ("Dr. Jane Q. Public Jr.", "My Lead", "Madonna"):
        assert compose_name(split_name(full)) == full
