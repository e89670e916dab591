# The OLS API image (used by docker-compose.yml): pinned Python and npm dependencies, the package, no data.
FROM python:3.11-slim
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core nodejs npm \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --omit=dev --no-audit --no-fund
COPY pyproject.toml README.md ./
COPY ols ols
COPY etl etl
COPY api api
COPY cli cli
COPY web web
COPY data data
RUN pip install --no-cache-dir --no-deps .
ENV OLS_WEB_VENDOR=/app/web/node_modules OLS_HOME=/var/lib/ols OLS_ZONES_DIR=/var/lib/ols/zones
RUN mkdir -p /var/lib/ols/zones && chown -R nobody /var/lib/ols
USER nobody
EXPOSE 8000
