# Autónomo: multi-stage build. The runtime image holds the stripped binary, CA certificates
# (S3, WhatsApp, Telegram and SMTP over TLS) and nothing else; it runs as a non-root user with
# every brand's data in the /data volume.
#   docker build -t autonomo .
#   docker run -d -p 8000:8000 -v autonomo-data:/data autonomo

# The base images can be swapped for mirrored or locally built ones (an install without Docker
# Hub): --build-arg RUST_IMAGE=… --build-arg RUNTIME_IMAGE=… (docs/operations.md).
ARG RUST_IMAGE=rust:1.90-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Dependencies first, so a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches/load && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > benches/load/main.rs \
    && cargo build --release --locked --bin autonomo || true
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin autonomo

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin autonomo \
    && mkdir -p /data && chown autonomo:autonomo /data
COPY --from=build /src/target/release/autonomo /usr/local/bin/autonomo
# The binary embeds the Go font for chart images; its BSD licence asks for the notice.
COPY --from=build /src/assets/fonts/LICENSE-Go-Regular.txt /usr/share/doc/autonomo/
USER autonomo
# mimalloc (the binary's allocator): commit arenas as used (docs/benchmarks.md, sessions 6
# and 11; `serve` sets it itself when missing, spelled out here so the image says what runs).
ENV AUTONOMO_DATA_DIR=/data \
    AUTONOMO_LISTEN=0.0.0.0:8000 \
    AUTONOMO_LOG_JSON=true \
    MIMALLOC_ARENA_EAGER_COMMIT=0
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz >/dev/null || exit 1
# SIGTERM drains requests and flushes every writer; give it time.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/autonomo"]
CMD ["serve"]
