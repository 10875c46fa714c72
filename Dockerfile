# Image of parashift-mock: the static binary alone, on an empty base.
#
# The build context is not the repository but a folder that
# scripts/build-images.sh fills with a binary built with CGO_ENABLED=0,
# so this file needs no Go base image and the build pulls nothing:
#
#   scripts/build-images.sh
#
# The image has no shell, no CA certificates and no time zone data.
# docs/container.md shows how to run it.
FROM scratch

ARG VERSION=dev
LABEL org.opencontainers.image.title="parashift-mock" \
      org.opencontainers.image.description="Mock of the Parashift document-processing platform: REST API, workflow and webhooks" \
      org.opencontainers.image.version="${VERSION}"

COPY parashift-mock /parashift-mock

# User and group 65532 own no file in the image. The user is numeric
# because scratch has no /etc/passwd.
USER 65532:65532

EXPOSE 8080

# The health subcommand sends GET http://127.0.0.1:8080/_mock/health
# and exits 0 only for a 200 response. Keep the platform on port 8080
# inside the container and choose the host port with docker run -p.
# docker run --health-cmd cannot replace this check, because it runs
# the command with /bin/sh, which the image lacks. A Compose
# healthcheck with test: ["CMD", "/parashift-mock", "health", ...] can.
HEALTHCHECK --interval=5s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/parashift-mock", "health", "--timeout", "3s"]

ENTRYPOINT ["/parashift-mock"]
# Inside a container the platform must listen on every interface, or
# nothing outside the container can reach it.
CMD ["serve", "--addr", "0.0.0.0:8080"]
