# A static sshpin on a minimal base: no shell, no libc, nothing to patch
# but sshpin itself.
#   docker build -t sshpin .
#   docker run --rm sshpin scan 192.0.2.10
# (the README's Kubernetes Job uses "sh -c" for its shard index: build it
# with --build-arg BASE=busybox:stable-musl for a shell)
ARG BASE=gcr.io/distroless/static-debian12:nonroot
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that runs on any base; -trimpath: no build
# paths inside it.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sshpin .

FROM ${BASE}
COPY --from=build /out/sshpin /usr/local/bin/sshpin
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sshpin"]
