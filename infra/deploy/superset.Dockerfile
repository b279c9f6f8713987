# Superset with Lianxi's configuration and the ClickHouse dialect.
# Build from the repository root:  docker build -f infra/deploy/superset.Dockerfile .
FROM apache/superset:6.1.0

USER root
# clickhousedb:// for the warehouse; pydantic-settings because the config reads LIANXI_ vars.
RUN pip install --no-cache-dir "clickhouse-connect==1.12.0" "pydantic-settings>=2.4" psycopg2-binary redis
COPY infra/__init__.py infra/config.py /app/lianxi/infra/
COPY infra/superset/superset_config.py /app/pythonpath/superset_config.py
ENV PYTHONPATH=/app/pythonpath:/app/lianxi \
    SUPERSET_CONFIG_PATH=/app/pythonpath/superset_config.py \
    LIANXI_VAR_DIR=/app/superset_home/lianxi
USER superset
