# wharf — see README.md. `make test` is what CI runs.
GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: build run test test-race lint fuzz-smoke bench

build:
	CGO_ENABLED=0 $(GO) build -o bin/wharf ./cmd/wharf

run: build
	./bin/wharf serve

test:
	scripts/test.sh

test-race:
	$(GO) test -race -count=1 ./lake/... ./engine/... ./api/... ./internal/...

lint:
	scripts/check-layers.sh
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Each fuzz target for 60 s (RELIABILITY M3, PR tier).
fuzz-smoke:
	$(GO) test ./engine/sql -run '^$$' -fuzz FuzzParse -fuzztime 60s

bench:
	cd benchmarks && $(GO) test -run '^$$' -bench . -benchmem -count 5 ./...
