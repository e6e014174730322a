"""What the warehouse says, for people: findings, sentences, the report and the dashboard's data.

Everything here reads finished marts (and the ML step's outputs) of the active dbt target through
`spf.warehouse.open_warehouse(read_only=True)`; no statistic is computed twice.
"""
