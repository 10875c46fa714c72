#!/usr/bin/env bash
# Builds the container images of parashift-mock and of the reference
# consumer from static binaries, without pulling any image.
#
# Usage: scripts/build-images.sh   (from any directory)
#
# Environment variables:
#   IMAGE           tag of the parashift-mock image (default parashift-mock:dev)
#   CONSUMER_IMAGE  tag of the reference consumer image
#                   (default parashift-mock-reference-consumer:dev)
#   VERSION         version that "parashift-mock version" prints and the
#                   images' org.opencontainers.image.version label
#                   (default: git describe of the repository, else "dev")
#   GOARCH          architecture of the binaries (default: the Docker
#                   daemon's, so the images run on it)
#
# Needs Go and the docker command line with a running daemon. Each
# binary is built with CGO_ENABLED=0 into a temporary folder, which is
# the build context of a Dockerfile FROM scratch.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="${IMAGE:-parashift-mock:dev}"
consumer_image="${CONSUMER_IMAGE:-parashift-mock-reference-consumer:dev}"

for tool in go docker; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "build-images.sh: $tool not found in PATH: install it or add its folder to PATH" >&2
		exit 1
	fi
done

if ! daemon_arch="$(docker version --format '{{.Server.Arch}}' 2>/dev/null)" || [[ -z "$daemon_arch" ]]; then
	echo "build-images.sh: cannot reach the Docker daemon: start it, or check DOCKER_HOST and your permission to use the docker socket" >&2
	exit 1
fi
goarch="${GOARCH:-$daemon_arch}"

# go build stamps the Git revision into the binaries when git is
# installed. In a Git checkout without git it fails unless given
# -buildvcs=false.
buildvcs=auto
if command -v git >/dev/null 2>&1; then
	version="${VERSION:-$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)}"
else
	version="${VERSION:-dev}"
	buildvcs=false
fi

context_dir="$(mktemp -d "${TMPDIR:-/tmp}/parashift-mock-images.XXXXXX")"
trap 'rm -rf "$context_dir"' EXIT
mkdir "$context_dir/mock" "$context_dir/consumer"

echo "building static binaries for linux/$goarch, version $version"
(
	cd "$repo"
	export CGO_ENABLED=0 GOOS=linux GOARCH="$goarch"
	go build -trimpath -buildvcs="$buildvcs" \
		-ldflags "-s -w -X 'main.version=$version'" \
		-o "$context_dir/mock/parashift-mock" ./cmd/parashift-mock
	go build -trimpath -buildvcs="$buildvcs" \
		-ldflags "-s -w" \
		-o "$context_dir/consumer/reference-consumer" ./cmd/reference-consumer
)
# The images run as a non-root user, who needs execute permission even
# where a restrictive umask made go build leave it out.
chmod 0755 "$context_dir/mock/parashift-mock" "$context_dir/consumer/reference-consumer"

# The Dockerfiles start FROM scratch, which is no image, so docker build
# pulls nothing.
echo "building $image"
docker build --quiet --build-arg VERSION="$version" \
	--file "$repo/Dockerfile" --tag "$image" "$context_dir/mock"
echo "building $consumer_image"
docker build --quiet --build-arg VERSION="$version" \
	--file "$repo/examples/consumer/Dockerfile" --tag "$consumer_image" "$context_dir/consumer"

echo "image sizes:"
for tag in "$image" "$consumer_image"; do
	bytes="$(docker image inspect --format '{{.Size}}' "$tag")"
	human="$(docker image ls --format '{{.Size}}' "$tag" | head -n 1)"
	printf '  %-40s %s (%s bytes)\n' "$tag" "$human" "$bytes"
done
