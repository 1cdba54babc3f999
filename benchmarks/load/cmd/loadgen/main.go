// Command loadgen sends the load benchmark's query mix to a wharf server's
// POST /v1/sql over keep-alive HTTP connections, one closed-loop client per
// connection, checks every answer, and prints a load.Report as JSON. It runs
// as its own process so that the clients' CPU is not the server's.
//
//	loadgen -url http://127.0.0.1:8080 -rows 10000000 -hot 1000 -duration 10s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
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
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the measured part to `file`")
	)
	flag.Parse()
	if *rows <= 0 || *conns <= 0 || *duration <= 0 {
		return errors.New("-rows, -conns and -duration must be positive")
	}
	c, err := newClient(*url, *conns)
	if err != nil {
		return err
	}
	defer c.close()
	mix := load.Mix{Rows: *rows, Hot: *hot, AggShare: *agg}
	ctx := context.Background()
	if err := load.Warm(ctx, *conns, mix.All(), c.do); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if *warmup > 0 {
		load.Run(ctx, "warmup", *conns, *warmup, mix, *seed+1, c.do)
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r := load.Run(ctx, *name, *conns, *duration, mix, *seed, c.do)
	return json.NewEncoder(os.Stdout).Encode(r)
}

// client keeps conns HTTP/1.1 connections, each used by one request at a
// time on the caller's goroutine: net/http's Transport hands every request
// to two goroutines of its own per connection, and on 2 cores shared with
// the server those hand-offs were a third of the clients' CPU.
type client struct {
	addr     string // host:port, also sent as Host
	free     chan *conn
	decoded  sync.Map // string(rows JSON) → [][]string: see rows
	memoized atomic.Int64
}

type conn struct {
	nc  net.Conn // nil until dialled, and after an error
	br  *bufio.Reader
	req []byte
}

func newClient(base string, conns int) (*client, error) {
	u, err := neturl.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://host:port", base)
	}
	c := &client{addr: u.Host, free: make(chan *conn, conns)}
	for range conns {
		c.free <- &conn{}
	}
	return c, nil
}

func (c *client) close() {
	for range cap(c.free) {
		if cn := <-c.free; cn.nc != nil {
			cn.nc.Close()
		}
	}
}

// do posts one statement to /v1/sql and returns its rows, each value as its
// text (strings unquoted, numbers as written).
func (c *client) do(ctx context.Context, q load.Query) ([][]string, error) {
	cn := <-c.free
	defer func() { c.free <- cn }()
	status, body, err := c.roundTrip(ctx, cn, q.SQL())
	if err != nil {
		if cn.nc != nil {
			cn.nc.Close()
			cn.nc = nil
		}
		return nil, err
	}
	if status == http.StatusTooManyRequests {
		return nil, fmt.Errorf("%w: %s", load.ErrRejected, bytes.TrimSpace(body))
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", status, bytes.TrimSpace(body))
	}
	return c.rows(body)
}

// roundTrip sends one request on cn, dialling it first if needed, and reads
// the whole response.
func (c *client) roundTrip(ctx context.Context, cn *conn, sql string) (int, []byte, error) {
	if cn.nc == nil {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, nil, err
		}
		cn.nc, cn.br = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	body := strconv.AppendQuote([]byte(`{"sql":`), sql) // ASCII statements: JSON's quoting
	body = append(body, '}')
	cn.req = fmt.Appendf(cn.req[:0], "POST /v1/sql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", c.addr, len(body), body)
	if _, err := cn.nc.Write(cn.req); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(cn.br, nil)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if resp.Close {
		cn.nc.Close()
		cn.nc = nil
	}
	return resp.StatusCode, raw, nil
}

// maxMemo bounds how many distinct answers rows keeps decoded.
const maxMemo = 1 << 16

// rows decodes a /v1/sql answer's rows. Decoding is a function of the rows'
// JSON text alone, so a text seen before takes the rows decoded then: a
// cached mix sends the same answers over and over. Every answer is still
// checked by the caller.
func (c *client) rows(body []byte) ([][]string, error) {
	text := body
	if i, j := bytes.Index(body, []byte(`"rows":`)), bytes.LastIndex(body, []byte(`,"stats":`)); i >= 0 && j > i {
		text = body[i:j]
	}
	if v, ok := c.decoded.Load(string(text)); ok {
		return v.([][]string), nil
	}
	var out struct {
		Rows [][]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
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
	if c.memoized.Add(1) <= maxMemo {
		c.decoded.Store(string(text), rows)
	}
	return rows, nil
}
