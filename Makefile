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

# Every fuzz target for FUZZTIME (RELIABILITY M3: 60 s a target on PRs).
FUZZTIME ?= 60s
FUZZ_TARGETS = ./engine/sql:FuzzParse ./lake/commit:FuzzParseSnap ./lake/commit:FuzzRecords \
	./lake/objstore:FuzzPathsJoin ./api:FuzzRequests ./engine/expr:FuzzLike ./engine/expr:FuzzSimilarTo \
	./engine/expr:FuzzRegexpFuncs ./engine/expr:FuzzDateFormat ./engine/expr:FuzzParseTimestamp \
	./engine/format:FuzzDecodeJSON ./engine/format:FuzzDecodeCSV ./engine/format:FuzzDecodeRaw \
	./engine/connector/datagen:FuzzOptions ./engine/runtime:FuzzReplayFrom ./lake/restcat:FuzzLineageEntry \
	./olap/clickhouse:FuzzNativeConn ./olap/clickhouse:FuzzSplitStatement ./engine/exec:FuzzSessionDelta

fuzz-smoke:
	@for t in $(FUZZ_TARGETS); do \
		echo "== $$t"; \
		$(GO) test $${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

bench:
	cd benchmarks && $(GO) test -run '^$$' -bench . -benchmem -count 5 ./...
