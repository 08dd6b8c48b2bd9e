"""A paginator that does not count a million rows to draw one page.

Django's changelist asks its paginator for ``count`` on every page view. On PostgreSQL an exact
``COUNT(*)`` reads the whole table (MVCC: there is no stored row count), which costs hundreds of
milliseconds at a million emails. So:

- unfiltered list on PostgreSQL: the planner's estimate ``pg_class.reltuples`` (kept fresh by
  autovacuum/ANALYZE), which costs one catalogue lookup;
- filtered or searched list: an exact count, but capped at :attr:`count_cap` rows (a
  ``COUNT(*)`` over ``LIMIT cap``), which stops early when many rows match; beyond the cap on
  PostgreSQL the planner's row estimate for the filtered query (``EXPLAIN``) is used;
- other databases (SQLite, the embedded default, holds small queues): exact counts.

An estimated count makes the last page numbers approximate (a page past the end is simply
empty); the rows shown are always exact.
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    count_cap = 10_000

    #: True when ``count`` is an estimate rather than an exact number.
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return queryset.count()
        if not queryset.query.where:
            estimate = self._table_estimate(connection, queryset.model._meta.db_table)
            if estimate is not None and estimate > self.count_cap:
                self.estimated = True
                return estimate
            return queryset.count()
        capped = queryset.order_by()[: self.count_cap + 1].count()
        if capped <= self.count_cap:
            return capped
        self.estimated = True
        return max(self._plan_estimate(queryset), capped)

    @staticmethod
    def _table_estimate(connection, table: str) -> int | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cursor.fetchone()
        # -1 means "never analyzed": no estimate to trust.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None

    @staticmethod
    def _plan_estimate(queryset) -> int:
        sql, params = queryset.order_by().query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
