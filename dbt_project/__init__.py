"""The dbt project (staging → intermediate → marts) and the `lianxi dbt` commands that run it."""
