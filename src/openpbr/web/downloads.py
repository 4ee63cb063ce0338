"""Every table downloads as CSV (Excel-safe) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.responses import Response

from openpbr.io.safe import excel_safe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:80]


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([excel_safe(h) for h in header])
    for row in rows:
        w.writerow([excel_safe(v) for v in row])
    return Response(buf.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(name)}.csv"'})


def xlsx_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_safe_name(name)[:31] or "data")
    ws.append(list(header))
    for row in rows:
        # Text cells are neutralised like the CSV, so a formula never runs when opened.
        ws.append([excel_safe(v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(name)}.xlsx"'})


def table_response(fmt: str, name: str, header: Sequence[str], rows: list[Sequence[Any]]) -> Response:
    if fmt == "csv":
        return csv_response(name, header, rows)
    if fmt == "xlsx":
        return xlsx_response(name, header, rows)
    from openpbr.errors import NotFound

    raise NotFound("not found")
