"""Delivery statistics: the per-minute rollup the dispatcher writes (:mod:`.rollup`), the figures
the dashboard, ``post_office_stats`` and the metrics view read (:mod:`.queries`), and the
Prometheus text format (:mod:`.prometheus`)."""
