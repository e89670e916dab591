# The OLS API image (used by docker-compose.yml): pinned dependencies, the package, no data.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY ols ols
COPY etl etl
COPY api api
COPY data data
RUN pip install --no-cache-dir --no-deps .
USER nobody
EXPOSE 8000
