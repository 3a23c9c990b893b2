# motcua - multi-stage image on Debian 12 (bookworm), the same packages as `make deps`; the
# runtime stage has the libraries (cairo and Pango with fonts-dejavu-core draw the checklist's
# picture /p/<token>.png), curl for the healthcheck and sqlite3 for the backup of the
# state database (docs/operations.md: docker compose exec motcua sqlite3 ... ".backup ...");
# espeak-ng reads the kiosk's answers aloud when kiosk.speech is on.
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libwebsockets-dev libpcre2-dev libsqlite3-dev libjansson-dev \
      libicu-dev libssl-dev libqrencode-dev libxlsxwriter-dev libcairo2-dev libpango1.0-dev \
      libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY common common
COPY intents intents
COPY gateway gateway
COPY channels channels
COPY data data
RUN make build/motcua build/motcua.db

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libwebsockets17 libpcre2-8-0 libsqlite3-0 libjansson4 libicu72 libssl3 libqrencode4 libxlsxwriter4 libpq5 curl sqlite3 \
      libcairo2 libpango-1.0-0 libpangocairo-1.0-0 fonts-dejavu-core espeak-ng \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/motcua --create-home --shell /usr/sbin/nologin motcua
COPY --from=build /src/build/motcua /usr/local/bin/motcua
COPY --from=build /src/build/motcua.db /usr/share/motcua/motcua.db
COPY --from=build /src/channels/web /usr/share/motcua/web
ENV MOTCUA_LISTEN_HOST=0.0.0.0 \
    MOTCUA_LISTEN_PORT=8080 \
    MOTCUA_DATA_KNOWLEDGE_DB=/usr/share/motcua/motcua.db \
    MOTCUA_DATA_STATE_DB=/var/lib/motcua/state.db \
    MOTCUA_DATA_WEB_ROOT=/usr/share/motcua/web
USER motcua
VOLUME ["/var/lib/motcua"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/motcua"]
CMD ["serve"]
