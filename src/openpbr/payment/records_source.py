"""Read the activity to settle from the care records database (``openpbr.records.extract``).

Cluster periods come as they are recorded (``end_on`` exclusive, null while
open). Initial assessments are MHCT assessments with reason ``initial``,
given the commissioner of the cluster period they opened. Each period's need
group comes from the need-group dataset (illustrative, [D]).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from openpbr.payment.activity import ActivityBundle, col_str
from openpbr.payment.prices import load_schedule


def need_groups(clusters: np.ndarray, on: date, schedule: str = "payment_need_groups") -> np.ndarray:
    ds = load_schedule(schedule).dataset
    table = {e.key: e.value for e in ds.in_force(on)}
    return np.array([table.get(str(c), "standard") for c in clusters], dtype=object)


def bundle_from_records(db, start: date, end: date) -> ActivityBundle:
    """Activity for the settlement window [start, end) read from the records database."""
    from openpbr.records import extract

    last = end - timedelta(days=1)  # the extract takes inclusive ranges
    cp = extract.cluster_periods(db, start, last)  # periods overlapping the window: all that can be paid in it
    clusters = col_str(cp, "cluster").astype(str)
    periods = pa.table({
        "person_id": cp.column("person"), "provider": cp.column("provider"), "commissioner": cp.column("commissioner"),
        "cluster": cp.column("cluster"), "start_date": cp.column("start_on"), "end_date": cp.column("end_on"),
        "need_group": pa.array(need_groups(clusters, start).astype(str)),
    })
    asm = extract.assessments(db, start, last)
    initial = asm.filter(pa.array(col_str(asm, "reason").astype(str) == "initial"))
    comm_of = dict(zip(col_str(cp, "clust_id").astype(str), col_str(cp, "commissioner").astype(str)))
    ids = col_str(initial, "clust_id").astype(str)
    keep = np.array([i in comm_of for i in ids], dtype=bool)
    initial = initial.filter(pa.array(keep))
    assessments = pa.table({
        "person_id": initial.column("person"), "provider": initial.column("provider"),
        "commissioner": pa.array([comm_of[i] for i in ids[keep]], type=pa.string()),
        "assessed_on": initial.column("assessed_on"),
    })
    return ActivityBundle(cluster_periods=periods, assessments=assessments)
