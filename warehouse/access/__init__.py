"""The warehouse's access model: written once as ClickHouse RBAC SQL (a migration), enforced by
the embedded server on ClickHouse's own parse tree of every statement."""
