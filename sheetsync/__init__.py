"""sheetsync: keep an informational-interview tracker honest.

The pipeline, one module per step::

    source ──read──▶ grid            backends/
           ──layout─▶ column map      layout.py
           ──frame──▶ typed frame     frame.py
           ──check──▶ findings        rules/
           ──status─▶ managed cells   status.py
           ──plan───▶ cell changes    plan.py
           ──apply──▶ one write       backends/
"""

__version__ = "0.1.0"
