"""The date patterns of Vietnamese news, in one place (ingest, retrieval filters and front ends).

Day first, as Vietnamese writes it: "01/07/2019", "9-6-2017", "29.6". A lead often gives only
day and month ("Sáng 21-6"); the year then comes from elsewhere (``ingest.metadata``).
"""

from __future__ import annotations

import re
from datetime import date

# A full date written without spaces ("01/07/2019", "9-6-2017"): dates lines and published fields
DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
# The same with spaces allowed around the separators ("5 - 3 - 2024"), as article text writes it
DMY_SPACED = re.compile(r"\b(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})\b")
# The date a lead opens with: "Sáng 21-6", "Ngày 29.6.2023", "Chiều 9/6" (groups: day, month, year?)
LEAD_DATE = re.compile(
    r"^(?:(?:sáng|chiều|tối|trưa|đêm|ngày|hôm nay|hôm qua)\s+)?(?:ngày\s+)?"
    r"(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{4}))?\b",
    re.I,
)
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # (year, month, day); match or fullmatch as needed


def iso(d: int, m: int, y: int) -> str | None:
    """``y-m-d`` as an ISO date, or None when there is no such day."""
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None
