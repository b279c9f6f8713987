"""What every stage shares, at the bottom of the import graph: it imports no stage.

The stages (warehouse, ingest, streams, dbt_project, dashboards) may import it; `infra` (the
stack and the CLI root) sits on top of everything. tests/infra/test_layers.py checks the rule.
"""
