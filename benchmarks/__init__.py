"""Benchmarks for sheetsync: xlsx sync vs an openpyxl round trip, the checks alone, and the
Google request budget vs gspread-dataframe. Run them with ``python -m benchmarks.run``."""

import datetime as dt

TODAY = dt.date(2026, 3, 16)  # a Monday; every run judges as of this day (the trackers' day too)
