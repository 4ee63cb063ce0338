"""A trust's clinician-confirmed allocation history, in the shape `openpbr calibrate` reads.

One row per assessment that opened a cluster period: the 18 ratings, the
assessment date and the cluster the clinician finally chose (``cluster``).
Overrides are kept: they are what calibration learns from. Only pseudonymous
assessment ids leave the database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.io.safe import write_table_csv
from openpbr.records import extract


def confirmed_history(db: extract.Db, start: date, end: date) -> pa.Table:
    """Assessments in ``[start, end]`` joined to the cluster the clinician chose for them."""
    ratings = extract.assessments(db, start, end)
    periods = extract.cluster_periods(db, start, end).select(["clust_id", "cluster", "suggested_cluster", "overridden"])
    joined = ratings.join(periods, keys="clust_id", join_type="inner")
    columns = {"assessment_id": joined["clust_id"]}
    for code in ITEM_CODES:  # stored wide under the same item codes
        columns[code] = joined[code]
    columns |= {
        "item_08_type": pc.fill_null(joined["item_08_type"], ""),
        "assessed_on": joined["assessed_on"],
        "cluster": joined["cluster"],
        "suggested_cluster": joined["suggested_cluster"],
        "overridden": joined["overridden"],
    }
    return pa.table(columns).sort_by([("assessed_on", "ascending"), ("assessment_id", "ascending")])


def write_history(db: extract.Db, start: date, end: date, out: Path) -> int:
    table = confirmed_history(db, start, end)
    write_table_csv(table, out)  # atomic, Excel-safe, bare headers
    return table.num_rows
