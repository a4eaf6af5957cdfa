"""The package's public names are what the seeding code imports, so they must all resolve."""

import fairlabel.demo as demo


def test_all_names_resolve() -> None:
    assert sorted(demo.__all__) == sorted(set(demo.__all__))
    for name in demo.__all__:
        assert getattr(demo, name) is not None
