"""Benchmarks for sheetsync: xlsx sync vs an openpyxl round trip, the checks alone, and the
Google request budget vs gspread-dataframe. Run them with ``python -m benchmarks.run``."""
