"""Suggested service points on the demo district: new sites only, each claiming what it adds."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from dashboard.coverage.layout import suggestion_table
from dashboard.coverage.views import CoverageCache, WhatIf, coverage_view, suggestions
from geo.crs import metric_transformer

METRES = 1200.0
_COMMONEST = "SELECT kind FROM service_point GROUP BY kind ORDER BY count(*) DESC, kind"


def _metric(lonlat: np.ndarray) -> np.ndarray:
    x, y = metric_transformer().transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def _covered(conn, cache, kind: str, added: np.ndarray) -> float:
    what_if = WhatIf(added=tuple((float(lon), float(lat)) for lon, lat in added))
    result = coverage_view(conn, cache, kind=kind, metres=METRES, what_if=what_if).result
    return float(result.demand.residents[result.covered].sum())


@pytest.mark.parametrize("which", ["offices", "buildings"])
def test_suggestions_are_new_sites_and_each_adds_what_it_claims_as_a_what_if(demo, which):
    cache, tried = CoverageCache(), 0
    with demo.connect() as conn:
        # the types with the most points (the fewest uncovered residents: the quickest models;
        # on the demo the commonest type's points are also the community offices)
        kinds = conn.execute(sa.text(_COMMONEST)).scalars().all()[: 2 if which == "offices" else 1]
        assert kinds
        for kind in kinds:
            view = coverage_view(conn, cache, kind=kind, metres=METRES, what_if=WhatIf())
            found = suggestions(conn, cache, view, which=which, k=3)
            result, sites = found.result, found.sites
            existing = _metric(view.points[["lon", "lat"]].to_numpy(float))
            if not len(sites):  # every candidate is an existing point of the type: the page says so
                assert found.left_out > 0 and not result.chosen
                assert "没有可选的新位置" in str(
                    suggestion_table(result, found.labels, left_out=found.left_out)
                )
                continue
            tried += 1
            chosen = sites[list(result.chosen)]
            gaps = np.hypot(*(_metric(chosen)[:, None, :] - existing[None, :, :]).transpose(2, 0, 1))
            assert gaps.min() > 10.0, (kind, which)  # no suggestion on an existing point of the type
            before = _covered(conn, cache, kind, chosen[:0])
            for i, gain in enumerate(result.gains):
                after = _covered(conn, cache, kind, chosen[: i + 1])
                assert after - before == pytest.approx(gain), (kind, which, i)
                before = after
    assert tried > 0
