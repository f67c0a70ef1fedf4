import datetime as dt

import pandas as pd
import pytest

from cxtext.nps import nps_interval, nps_table, summarize
from cxtext.schema import nps_category


@pytest.mark.parametrize("score,category", [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                            (9, "promoter"), (10, "promoter")])
def test_nps_category(score, category):
    assert nps_category(score) == category


def test_summary_by_hand():
    # 5 promoters, 3 passives, 2 detractors: NPS = 50% − 20% = 30.
    # Interval by hand: n' = 10 + 1.5, p+ = 5.5/11.5, p− = 2.5/11.5, centre 0.26087,
    # var = (0.69565 − 0.26087²)/11.5 = 0.054574, half-width 1.96·0.23361 = 0.45787.
    s = summarize(["promoter"] * 5 + ["passive"] * 3 + ["detractor"] * 2)
    assert (s["n"], s["promoters"], s["passives"], s["detractors"], s["nps"]) == (10, 5, 3, 2, 30.0)
    assert (s["nps_ci_low"], s["nps_ci_high"]) == (-19.7, 71.9)


def test_interval_is_clipped_and_defined_for_all_promoters():
    low, high = nps_interval(3, 0, 0)
    assert high == 100.0 and -100 < low < 100


def test_table_overall_segment_day_week():
    frame = pd.DataFrame({
        "responded_at": [dt.datetime(2026, 10, 5, 9), dt.datetime(2026, 10, 5, 18), dt.datetime(2026, 10, 6, 9)],
        "nps_category": ["promoter", "detractor", "promoter"],
        "地域": ["関東", "関東", "九州"],
    })
    table = nps_table(frame, ["地域"])
    got = {(r.scope, r.segment, r.value): (r.n, r.nps) for r in table.itertuples()}
    assert got[("overall", "", "")] == (3, 33.3)
    assert got[("segment", "地域", "関東")] == (2, 0.0)
    assert got[("day", "responded_at", "2026-10-05")] == (2, 0.0)
    assert got[("day", "responded_at", "2026-10-06")] == (1, 100.0)
    assert got[("week", "responded_at", "2026-10-05")] == (3, 33.3)  # Monday of the ISO week
