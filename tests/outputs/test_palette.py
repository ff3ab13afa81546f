"""The matrices' colour key: ranges that give every value a stated colour, the same on screen, PDF and Excel."""

from __future__ import annotations

import pytest

from mapping.outputs import palette


@pytest.mark.parametrize("vmax", [1, 3, 6, 9, 40, 100])
def test_count_keys_cover_every_whole_value_once_with_distinct_colours(vmax):
    classes = palette.value_classes(vmax)
    covered = [v for c in classes for v in range(int(c.lo), int(c.hi) + 1)]
    assert covered == list(range(1, vmax + 1))  # no value without a class, none in two
    assert len({c.colour for c in classes}) == len(classes)
    assert classes[-1].colour == palette.class_colour_of(vmax, classes)
    for value in range(1, vmax + 1):  # a value's colour is the colour of the range that states it
        c = next(c for c in classes if c.lo <= value <= c.hi)
        assert palette.class_colour_of(value, classes) == c.colour


def test_a_five_between_listed_values_has_its_range_in_the_key():
    # the old key listed single values (1, 2, 4, 6, 9) and left a 5 without a stated colour
    classes = palette.value_classes(9)
    assert [c.label for c in classes] == ["1", "2", "3", "4–5", "6–8", "9"]
    assert palette.class_colour_of(5, classes) == palette.class_colour_of(4, classes) == classes[3].colour


def test_amounts_get_round_ranges_and_the_top_value_the_darkest():
    classes = palette.value_classes(5_500_000)
    assert [c.label for c in classes][:2] == ["up to 1.5M", "1.5M–3M"]
    assert classes[-1].hi >= 5_500_000
    assert palette.class_colour_of(5_500_000, classes) == classes[-1].colour
    assert palette.class_colour_of(1, classes) == classes[0].colour


def test_nothing_and_no_data_keep_their_own_colours():
    classes = palette.value_classes(10)
    assert palette.class_colour_of(0, classes) == palette.ZERO_COLOUR
    assert palette.class_colour_of(float("nan"), classes) == palette.NO_DATA_COLOUR
    assert palette.value_classes(0) == [] and palette.value_classes(float("nan")) == []
