FROM python:3.11-slim
WORKDIR /srv/hub
COPY pyproject.toml README.md ./
COPY hub hub
COPY graph_schema graph_schema
COPY loaders loaders
COPY matching matching
COPY resolvers resolvers
RUN pip install --no-cache-dir .
# Create constraints/indexes (idempotent), then serve.
CMD ["sh", "-c", "hub db init && exec hub serve --host 0.0.0.0 --port 8000"]
