package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go"
	"github.com/ClickHouse/ch-go/proto"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/olap"
	"github.com/wharfdata/wharf/olap/clickhouse"
)

// TestFrontEnds is issue 5's "one answer through every front end": one
// wharf, wired as `wharf serve` wires it (a gate with its result cache
// over the session; the HTTP API, the ClickHouse HTTP interface and the
// native protocol on loopback ports), answers every hits query through
//
//   - POST /v1/sql, JSON rows;
//   - POST /v1/sql with Accept: application/vnd.apache.arrow.stream;
//   - the ClickHouse HTTP interface, FORMAT JSONCompact;
//   - the native protocol, with ch-go's client;
//   - clickhouse-client from Debian (version 18: it parses statements
//     with its own grammar first, so only those it accepts reach wharf).
//
// Each answer is compared with the session's own (the engine without the
// gate), cell by cell after normalizing per column type (floats to 9
// significant digits as in the DuckDB comparison, decimals as exact
// rationals, dates and timestamps as microseconds, NULL as NULL), in order
// where the query has an ORDER BY, else as multisets.
//
//	WHARF_HITS_ROWS=100000 go test -run TestFrontEnds -v ./oracle/
func TestFrontEnds(t *testing.T) {
	e := getEnv(t)
	qs, err := hitsQueries()
	if err != nil {
		t.Fatal(err)
	}
	fr := startFronts(t, e.sess)
	clients := []struct {
		name string
		run  func(ctx context.Context, text string, sc *arrow.Schema) ([]row, error)
	}{
		{"v1-json", fr.v1JSON},
		{"v1-arrow", fr.v1Arrow},
		{"ch-http", fr.chHTTP},
		{"ch-native", fr.chNative},
		{"clickhouse-client", fr.chClient},
	}
	identical := make([]int, len(clients))
	var refused []string
	ctx := context.Background()
	for _, q := range qs {
		ref, err := e.sess.Exec(ctx, q.SQL, true)
		if err != nil {
			t.Errorf("%s: %v", q.ID(), err)
			continue
		}
		want, err := arrowRows(ref.Batches)
		sc := ref.Schema
		ref.Release()
		if err != nil {
			t.Fatalf("%s: %v", q.ID(), err)
		}
		for i, c := range clients {
			qctx, cancel := context.WithTimeout(ctx, time.Minute)
			got, err := c.run(qctx, q.SQL, sc)
			cancel()
			var cs *clientSyntax
			switch {
			case errors.As(err, &cs):
				refused = append(refused, q.ID())
				continue
			case err != nil:
				t.Errorf("%s through %s: %v", q.ID(), c.name, err)
				continue
			}
			if d := diff(want, got, q.Ordered()); d != "" {
				d = strings.NewReplacer("wharf:  ", "engine: ", "duckdb: ", c.name+": ", "wharf ", "engine ", "duckdb ", c.name+" ").Replace(d)
				t.Errorf("%s through %s differs from the engine's answer:\n%s", q.ID(), c.name, d)
				continue
			}
			identical[i]++
		}
	}
	var b strings.Builder
	for i, c := range clients {
		fmt.Fprintf(&b, "  %-18s %d of %d identical\n", c.name, identical[i], len(qs))
	}
	t.Logf("hits (%d rows), %d queries through %d front ends:\n%s"+
		"clickhouse-client 18 refused %d queries with its own (older ClickHouse) grammar before sending them: %s",
		e.rows["hits"], len(qs), len(clients), b.String(), len(refused), strings.Join(refused, ", "))
}

// clientSyntax is clickhouse-client refusing a statement it cannot parse,
// before sending it: Flink SQL beyond the ClickHouse 18 grammar.
type clientSyntax struct{ msg string }

func (e *clientSyntax) Error() string { return e.msg }

// fronts are the listeners of one in-process wharf.
type fronts struct {
	http, chHTTPAddr, native string
	native1                  *ch.Client
}

func startFronts(t *testing.T, sess *session.Session) *fronts {
	t.Helper()
	gate := olap.New(sess)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	serve := func(h http.Handler) string {
		ln := listen()
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		return ln.Addr().String()
	}
	ch1 := clickhouse.New(gate)
	f := &fronts{http: serve(api.New(gate).Handler()), chHTTPAddr: serve(ch1.HTTPHandler())}
	ln := listen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch1.ServeNative(ctx, ln) }()
	f.native = ln.Addr().String()
	c, err := ch.Dial(context.Background(), ch.Options{Address: f.native})
	if err != nil {
		t.Fatal(err)
	}
	f.native1 = c
	t.Cleanup(func() {
		_ = c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeNative: %v", err)
		}
	})
	return f
}

func post(ctx context.Context, u, contentType, accept string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, out)
	}
	return out, nil
}

func (f *fronts) v1JSON(ctx context.Context, text string, sc *arrow.Schema) ([]row, error) {
	body, _ := json.Marshal(api.SQLRequest{SQL: text})
	out, err := post(ctx, "http://"+f.http+"/v1/sql", "application/json", "", body)
	if err != nil {
		return nil, err
	}
	var res api.SQLResponse
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, err
	}
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	if err := sameNames(sc, names); err != nil {
		return nil, err
	}
	return jsonRows(res.Rows, sc)
}

func (f *fronts) v1Arrow(ctx context.Context, text string, sc *arrow.Schema) ([]row, error) {
	body, _ := json.Marshal(api.SQLRequest{SQL: text})
	out, err := post(ctx, "http://"+f.http+"/v1/sql", "application/json", "application/vnd.apache.arrow.stream", body)
	if err != nil {
		return nil, err
	}
	return arrowStreamRows(out, sc)
}

func arrowStreamRows(data []byte, sc *arrow.Schema) ([]row, error) {
	r, err := ipc.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Release()
	if err := sameNames(sc, fieldNames(r.Schema())); err != nil {
		return nil, err
	}
	var out []row
	for r.Next() {
		rows, err := arrowRows([]arrow.RecordBatch{r.RecordBatch()})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, r.Err()
}

func (f *fronts) chHTTP(ctx context.Context, text string, sc *arrow.Schema) ([]row, error) {
	u := "http://" + f.chHTTPAddr + "/?" + url.Values{"readonly": {"1"}}.Encode()
	out, err := post(ctx, u, "text/plain", "", []byte(text+" FORMAT JSONCompact"))
	if err != nil {
		return nil, err
	}
	var res struct {
		Meta []struct{ Name, Type string } `json:"meta"`
		Data [][]json.RawMessage           `json:"data"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("%w: %.200s", err, out)
	}
	names := make([]string, len(res.Meta))
	for i, m := range res.Meta {
		names[i] = m.Name
	}
	if err := sameNames(sc, names); err != nil {
		return nil, err
	}
	return jsonRows(res.Data, sc)
}

func (f *fronts) chNative(ctx context.Context, text string, sc *arrow.Schema) ([]row, error) {
	var (
		blk   nativeBlock
		out   []row
		names []string
	)
	err := f.native1.Do(ctx, ch.Query{
		Body:   text,
		Result: &blk,
		OnResult: func(ctx context.Context, b proto.Block) error {
			names = blk.names
			for i := range b.Rows {
				r := make(row, len(blk.cols))
				for j, c := range blk.cols {
					v, err := nativeValue(c.Data, blk.types[j], i)
					if err != nil {
						return fmt.Errorf("column %s: %w", blk.names[j], err)
					}
					r[j] = v
				}
				out = append(out, r)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if err := sameNames(sc, names); err != nil {
		return nil, err
	}
	return out, nil
}

// nativeBlock decodes one result block keeping the server's type names:
// ch-go's columns report theirs without parameters, and a decimal's scale
// is one of them.
type nativeBlock struct {
	names, types []string
	cols         []*proto.ColAuto
}

func (nb *nativeBlock) DecodeResult(r *proto.Reader, version int, b proto.Block) error {
	nb.names, nb.types, nb.cols = nb.names[:0], nb.types[:0], nb.cols[:0]
	for range b.Columns {
		name, err := r.Str()
		if err != nil {
			return err
		}
		typ, err := r.Str()
		if err != nil {
			return err
		}
		if proto.FeatureCustomSerialization.In(version) {
			if _, err := r.Bool(); err != nil {
				return err
			}
		}
		col := &proto.ColAuto{}
		if err := col.Infer(proto.ColumnType(typ)); err != nil {
			return err
		}
		if b.Rows > 0 {
			if err := col.DecodeColumn(r, b.Rows); err != nil {
				return err
			}
		}
		nb.names, nb.types, nb.cols = append(nb.names, name), append(nb.types, typ), append(nb.cols, col)
	}
	return nil
}

// clientBin is Debian's clickhouse-client (scripts/ensure-debs.sh).
const clientBin = "/usr/bin/clickhouse-client"

func (f *fronts) chClient(ctx context.Context, text string, sc *arrow.Schema) ([]row, error) {
	if _, err := os.Stat(clientBin); err != nil {
		return nil, &clientSyntax{msg: clientBin + " is missing: run scripts/ensure-debs.sh"}
	}
	host, port, _ := net.SplitHostPort(f.native)
	cmd := exec.CommandContext(ctx, clientBin, "--host", host, "--port", port, "--format", "TabSeparatedWithNames", "--query", text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := stderr.String(); strings.Contains(msg, "Syntax error") && !strings.Contains(msg, "DB::Exception: Received from") {
			return nil, &clientSyntax{msg: msg}
		}
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" && len(lines) == 1 {
		return nil, fmt.Errorf("no header line in %q", out)
	}
	if err := sameNames(sc, tsvFields(lines[0])); err != nil {
		return nil, err
	}
	var rows []row
	for _, l := range lines[1:] {
		cells := tsvFields(l)
		if len(cells) != sc.NumFields() {
			return nil, fmt.Errorf("%d cells in %q, want %d", len(cells), l, sc.NumFields())
		}
		r := make(row, len(cells))
		for i, c := range cells {
			v, err := textValue(c, c == `\N`, sc.Field(i).Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", sc.Field(i).Name, err)
			}
			r[i] = v
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// tsvFields splits a TabSeparated line and unescapes each field (\N stays
// \N: the caller reads it as NULL).
func tsvFields(line string) []string {
	parts := strings.Split(line, "\t")
	un := strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\'`, "'", `\0`, "\x00", `\r`, "\r", `\b`, "\b", `\f`, "\f")
	for i, p := range parts {
		if p != `\N` {
			parts[i] = un.Replace(p)
		}
	}
	return parts
}

func fieldNames(sc *arrow.Schema) []string {
	out := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		out[i] = f.Name
	}
	return out
}

func sameNames(sc *arrow.Schema, names []string) error {
	if want := fieldNames(sc); !slices.Equal(want, names) {
		return fmt.Errorf("columns %q, want %q", names, want)
	}
	return nil
}

// jsonRows normalizes JSON rows (the API's and ClickHouse's JSONCompact):
// numbers, or strings for 64-bit integers, decimals and non-finite floats.
func jsonRows(data [][]json.RawMessage, sc *arrow.Schema) ([]row, error) {
	out := make([]row, len(data))
	for i, cells := range data {
		if len(cells) != sc.NumFields() {
			return nil, fmt.Errorf("row %d has %d cells, want %d", i, len(cells), sc.NumFields())
		}
		r := make(row, len(cells))
		for j, c := range cells {
			var s string
			null := string(c) == "null"
			if len(c) > 0 && c[0] == '"' {
				if err := json.Unmarshal(c, &s); err != nil {
					return nil, err
				}
			} else {
				s = string(c)
			}
			v, err := textValue(s, null, sc.Field(j).Type)
			if err != nil {
				return nil, fmt.Errorf("row %d column %s: %w", i, sc.Field(j).Name, err)
			}
			r[j] = v
		}
		out[i] = r
	}
	return out, nil
}

// textValue parses one cell of a text format as the engine's type t says.
func textValue(s string, null bool, t arrow.DataType) (value, error) {
	if null {
		return value{}, nil
	}
	switch t.ID() {
	case arrow.BOOL:
		switch s {
		case "true", "1":
			return value{k: kBool, i: 1}, nil
		case "false", "0":
			return value{k: kBool}, nil
		}
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		n, err := strconv.ParseInt(s, 10, 64)
		return value{k: kInt, i: n}, err
	case arrow.FLOAT32, arrow.FLOAT64:
		bits := 64
		if t.ID() == arrow.FLOAT32 {
			bits = 32 // the engine's value is a float32: compare at its precision
		}
		switch strings.ToLower(s) {
		case "inf", "+inf", "infinity":
			return value{k: kFloat, f: math.Inf(1)}, nil
		case "-inf", "-infinity":
			return value{k: kFloat, f: math.Inf(-1)}, nil
		case "nan", "-nan":
			return value{k: kFloat, f: math.NaN()}, nil
		}
		f, err := strconv.ParseFloat(s, bits)
		return value{k: kFloat, f: f}, err
	case arrow.DECIMAL128, arrow.DECIMAL256:
		r, ok := new(big.Rat).SetString(s)
		if ok {
			return value{k: kDec, r: r}, nil
		}
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return value{k: kString, s: s}, nil
	case arrow.DATE32:
		d, err := time.Parse(time.DateOnly, s)
		return value{k: kTime, i: d.UnixMicro()}, err
	case arrow.TIMESTAMP:
		ts, err := time.Parse("2006-01-02 15:04:05.999999999", s)
		return value{k: kTime, i: ts.UnixMicro()}, err
	default:
		return value{}, fmt.Errorf("no text form compared for %s", t)
	}
	return value{}, fmt.Errorf("cannot read %q as %s", s, t)
}

var decimalTypeRE = regexp.MustCompile(`Decimal(?:\d+)?\((?:\d+, *)?(\d+)\)`)

// nativeValue normalizes one cell of a native block: ch-go's columns
// answer Row(i) with Go values, Nullable ones with proto.Nullable.
func nativeValue(c proto.ColResult, typ string, i int) (value, error) {
	rv := reflect.ValueOf(c).MethodByName("Row")
	if !rv.IsValid() {
		return value{}, fmt.Errorf("column type %s has no rows", typ)
	}
	v := rv.Call([]reflect.Value{reflect.ValueOf(i)})[0]
	if v.Kind() == reflect.Struct && v.Type().Name() != "Time" && v.FieldByName("Set").IsValid() {
		if !v.FieldByName("Set").Bool() {
			return value{}, nil
		}
		v = v.FieldByName("Value")
	}
	var scale int64
	if m := decimalTypeRE.FindStringSubmatch(typ); m != nil {
		scale, _ = strconv.ParseInt(m[1], 10, 32)
	}
	switch x := v.Interface().(type) {
	case bool:
		return value{k: kBool, i: int64(boolInt(x))}, nil
	case int8, int16, int32, int64, uint8, uint16, uint32:
		return value{k: kInt, i: v.Convert(reflect.TypeFor[int64]()).Int()}, nil
	case float32:
		return value{k: kFloat, f: float64(x)}, nil
	case float64:
		return value{k: kFloat, f: x}, nil
	case string:
		return value{k: kString, s: x}, nil
	case time.Time:
		return value{k: kTime, i: x.UnixMicro()}, nil
	case proto.Decimal32:
		return decValue(big.NewInt(int64(x)), int32(scale)), nil
	case proto.Decimal64:
		return decValue(big.NewInt(int64(x)), int32(scale)), nil
	case proto.Decimal128:
		n := new(big.Int).Lsh(new(big.Int).SetUint64(x.High), 64)
		n.Or(n, new(big.Int).SetUint64(x.Low))
		if x.High>>63 == 1 { // two's complement
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		return decValue(n, int32(scale)), nil
	}
	return value{}, fmt.Errorf("no canonical form for %s (%T)", typ, v.Interface())
}
