# The engine's image: the `journeys` CLI with the worker, the API and the migrations.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY journeys ./journeys
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
RUN pip install --no-cache-dir . && useradd --create-home --uid 10001 journeys \
    && mkdir /data && chown journeys /data
USER journeys
ENV JOURNEYS_DATA_DIR=/data JOURNEYS_LOG_FORMAT=json
CMD ["journeys", "worker"]
