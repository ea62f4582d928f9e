# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml build.rs ./
COPY src src
COPY migrations migrations
COPY tests tests
RUN cargo build --release --locked --bin supplier-registry \
 && cp target/release/supplier-registry /usr/local/bin/supplier-registry

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home app \
 && mkdir /keys && chown app /keys
COPY --from=build /usr/local/bin/supplier-registry /usr/local/bin/supplier-registry
USER app
ENV LISTEN_ADDR=0.0.0.0:8080 \
    APP_ENV=production \
    RUST_LOG=info
EXPOSE 8080
# No curl in the image: ask /readyz over bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["supplier-registry"]
CMD ["serve"]
