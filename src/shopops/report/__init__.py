"""A one-file HTML report of the shop: KPIs, charts, data quality and KPI definitions.

The report reads the warehouse through the shared read-only :class:`shopops.warehouse.Reader` and
writes one self-contained HTML file: the CSS is inline and the charts are inline SVG drawn with
matplotlib, so the file can be mailed, archived or opened offline and never fetches anything.
"""

from shopops.report._writer import REPORT_FILE, write_report

__all__ = ["REPORT_FILE", "write_report"]
