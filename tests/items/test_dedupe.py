"""Repeated external ids within one file, found batch by batch in sorted hash runs."""

from hypothesis import given, settings
from hypothesis import strategies as st

from fairlabel.items.dedupe import DuplicateFinder


def test_repeats_within_a_batch_and_across_batches_name_the_first_line() -> None:
    finder = DuplicateFinder()
    assert finder.check(["a", "b", "a"], [1, 2, 3]) == {2: 1}
    assert finder.check(["c", "b", "a", "c"], [4, 5, 6, 7]) == {1: 2, 2: 1, 3: 4}
    assert finder.check([], []) == {}


@settings(max_examples=50, deadline=None)
@given(
    ids=st.lists(st.sampled_from([f"id-{n}" for n in range(40)]), max_size=300),
    batch=st.integers(1, 17),
)
def test_agrees_with_a_dict(ids: list[str], batch: int) -> None:
    finder, first_seen, expected, found = DuplicateFinder(), {}, {}, {}
    for line, external_id in enumerate(ids, start=1):
        if external_id in first_seen:
            expected[line] = first_seen[external_id]
        else:
            first_seen[external_id] = line
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        lines = list(range(start + 1, start + 1 + len(chunk)))
        for index, first in finder.check(chunk, lines).items():
            found[lines[index]] = first
    assert found == expected
