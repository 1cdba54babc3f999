// Command loadgen sends the load benchmark's query mix to a wharf server's
// POST /v1/sql over keep-alive HTTP connections, one closed-loop client per
// connection, checks every answer, and prints a load.Report as JSON. It runs
// as its own process so that the clients' CPU is not the server's.
//
//	loadgen -url http://127.0.0.1:8080 -rows 10000000 -hot 1000 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wharfdata/wharf/benchmarks/load"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		url      = flag.String("url", "http://127.0.0.1:8080", "wharf HTTP API base `URL` (loopback only)")
		name     = flag.String("name", "wharf", "scenario name in the report")
		rows     = flag.Int64("rows", 10_000_000, "rows of the events table")
		hot      = flag.Int64("hot", 0, "draw keys from this many hot ids (0: the whole table)")
		agg      = flag.Float64("agg", 0.2, "share of aggregations in the mix")
		conns    = flag.Int("conns", 64, "concurrent keep-alive connections")
		duration = flag.Duration("duration", 10*time.Second, "measured time")
		warmup   = flag.Duration("warmup", 2*time.Second, "unmeasured time before it (after a hot mix's every query ran once)")
		seed     = flag.Uint64("seed", 1, "random seed")
	)
	flag.Parse()
	if *rows <= 0 || *conns <= 0 || *duration <= 0 {
		return errors.New("-rows, -conns and -duration must be positive")
	}
	c := &client{
		url: strings.TrimSuffix(*url, "/") + "/v1/sql",
		hc: &http.Client{Transport: &http.Transport{
			MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns,
			IdleConnTimeout: time.Minute, DisableCompression: true,
		}},
	}
	mix := load.Mix{Rows: *rows, Hot: *hot, AggShare: *agg}
	ctx := context.Background()
	if err := load.Warm(ctx, *conns, mix.All(), c.do); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if *warmup > 0 {
		load.Run(ctx, "warmup", *conns, *warmup, mix, *seed+1, c.do)
	}
	r := load.Run(ctx, *name, *conns, *duration, mix, *seed, c.do)
	return json.NewEncoder(os.Stdout).Encode(r)
}

type client struct {
	url string
	hc  *http.Client
}

// do posts one statement and returns its rows, each value as its text
// (strings unquoted, numbers as written).
func (c *client) do(ctx context.Context, q load.Query) ([][]string, error) {
	body, err := json.Marshal(map[string]string{"sql": q.SQL()})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, fmt.Errorf("%w: %s", load.ErrRejected, bytes.TrimSpace(raw))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	var out struct {
		Rows [][]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	rows := make([][]string, len(out.Rows))
	for i, r := range out.Rows {
		rows[i] = make([]string, len(r))
		for j, v := range r {
			var s string
			if json.Unmarshal(v, &s) == nil {
				rows[i][j] = s
			} else {
				rows[i][j] = string(v)
			}
		}
	}
	return rows, nil
}
