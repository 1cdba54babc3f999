package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go"
	"github.com/ClickHouse/ch-go/proto"

	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/types"
)

// startNative serves the native protocol for a backend on a loopback port.
func startNative(t testing.TB, b Backend, opts ...Option) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(b, opts...).ServeNative(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeNative: %v", err)
		}
	})
	return ln.Addr().String()
}

func dial(t testing.TB, addr string, o ch.Options) *ch.Client {
	t.Helper()
	o.Address = addr
	c, err := ch.Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// typedResult decodes blocks keeping the server's type names, which
// ch-go's columns report without their parameters.
type typedResult struct {
	types []string
	cols  []*proto.ColAuto
}

func (t *typedResult) DecodeResult(r *proto.Reader, version int, b proto.Block) error {
	t.types, t.cols = t.types[:0], t.cols[:0]
	for range b.Columns {
		if _, err := r.Str(); err != nil {
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
		t.types, t.cols = append(t.types, typ), append(t.cols, col)
	}
	return nil
}

// chRows runs a query through ch-go and renders the rows as ClickHouse's
// TabSeparated would.
func chRows(t testing.TB, c *ch.Client, query string) ([][]string, []string, error) {
	t.Helper()
	var (
		res  typedResult
		rows [][]string
	)
	err := c.Do(context.Background(), ch.Query{
		Body:   query,
		Result: &res,
		OnResult: func(_ context.Context, b proto.Block) error {
			for i := range b.Rows {
				row := make([]string, len(res.cols))
				for k, col := range res.cols {
					row[k] = chText(col.Data, res.types[k], i)
				}
				rows = append(rows, row)
			}
			return nil
		},
	})
	return rows, res.types, err
}

// chText renders row i of a ch-go column of ClickHouse type typ as
// TabSeparated text.
func chText(col proto.Column, typ string, i int) string {
	v := reflect.ValueOf(col).MethodByName("Row").Call([]reflect.Value{reflect.ValueOf(i)})[0].Interface()
	if strings.HasPrefix(typ, "Nullable(") {
		rv := reflect.ValueOf(v)
		if !rv.FieldByName("Set").Bool() {
			return `\N`
		}
		v = rv.FieldByName("Value").Interface()
		typ = strings.TrimSuffix(strings.TrimPrefix(typ, "Nullable("), ")")
	}
	return scalarText(v, typ)
}

func scalarText(v any, typ string) string {
	switch x := v.(type) {
	case string:
		return string(appendEscaped(nil, x))
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		if strings.HasPrefix(typ, "Date32") || typ == "Date" {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05.000")
	case proto.Decimal64:
		scale, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(typ[strings.LastIndexByte(typ, ',')+1:], ")")))
		return string(types.AppendDecimal64(nil, int64(x), int32(scale), true))
	}
	return fmt.Sprint(v)
}

func TestNativeChGo(t *testing.T) {
	sess := newBackend(t)
	addr := startNative(t, sess)
	for _, comp := range []ch.Compression{ch.CompressionDisabled, ch.CompressionLZ4} {
		t.Run(fmt.Sprint("compression ", comp), func(t *testing.T) {
			c := dial(t, addr, ch.Options{Compression: comp})
			if err := c.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			rows, types, err := chRows(t, c, fixtureQuery)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, fixtureRows) {
				t.Fatalf("rows\n%q\nwant\n%q", rows, fixtureRows)
			}
			if strings.Join(types, ";") != strings.Join(fixtureTypes, ";") {
				t.Errorf("types %q", types)
			}
			// The connection stays usable after an error.
			_, _, err = chRows(t, c, "SELECT * FROM shop.nope")
			var ex *ch.Exception
			if !errors.As(err, &ex) || ex.Code != proto.ErrUnknownTable || !strings.Contains(ex.Message, "(UNKNOWN_TABLE)") {
				t.Fatalf("error %v", err)
			}
			rows, _, err = chRows(t, c, "SELECT version(), currentDatabase()")
			if err != nil || len(rows) != 1 || rows[0][0] != Version || rows[0][1] != "default" {
				t.Fatalf("%v %q", err, rows)
			}
			table := "shop.n" + strconv.Itoa(int(comp))
			for _, q := range []string{"CREATE TABLE " + table + " (x INT)", "INSERT INTO " + table + " VALUES (7)"} {
				if err := c.Do(context.Background(), ch.Query{Body: q}); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if rows, _, err := chRows(t, c, "SELECT x FROM "+table); err != nil || len(rows) != 1 || rows[0][0] != "7" {
				t.Fatalf("%v %q", err, rows)
			}
		})
	}
}

func TestNativeAuth(t *testing.T) {
	addr := startNative(t, newBackend(t), WithAuthorizer(testAuthorizer))
	_, err := ch.Dial(context.Background(), ch.Options{Address: addr, Password: "nope"})
	var ex *ch.Exception
	if !errors.As(err, &ex) || ex.Code != proto.ErrAuthenticationFailed {
		t.Fatalf("dial with a bad password: %v", err)
	}
	r := dial(t, addr, ch.Options{Password: "reader-token", Database: "shop"})
	rows, _, err := chRows(t, r, "SHOW TABLES")
	if err != nil || len(rows) != 1 || rows[0][0] != "t" {
		t.Fatalf("%v %q", err, rows)
	}
	err = r.Do(context.Background(), ch.Query{Body: "DROP TABLE shop.t"})
	if !errors.As(err, &ex) || ex.Code != proto.ErrReadonly {
		t.Fatalf("read token dropping a table: %v", err)
	}
	w := dial(t, addr, ch.Options{Password: "writer-token"})
	if err := w.Do(context.Background(), ch.Query{Body: "CREATE TABLE shop.w (x INT)"}); err != nil {
		t.Fatal(err)
	}
}

func chOptions() ch.Options { return ch.Options{Compression: ch.CompressionLZ4} }

// chQuery is a query whose blocks go to res; onRows sees each block's rows.
func chQuery(body string, res *typedResult, onRows func(rows int)) ch.Query {
	return ch.Query{Body: body, Result: res, OnResult: func(_ context.Context, b proto.Block) error {
		if b.Rows > 0 {
			onRows(b.Rows)
		}
		return nil
	}}
}

// blockingBackend runs every statement until it is cancelled.
type blockingBackend struct{ cancelled chan struct{} }

func (b blockingBackend) Exec(ctx context.Context, _ string, _ bool) (*session.Result, error) {
	<-ctx.Done()
	close(b.cancelled)
	return nil, ctx.Err()
}

// TestNativeCancel: when a client gives up on a query (ch-go sends Cancel,
// then hangs up) the statement's context is cancelled.
func TestNativeCancel(t *testing.T) {
	b := blockingBackend{make(chan struct{})}
	c := dial(t, startNative(t, b), ch.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Do(ctx, ch.Query{Body: "SELECT 1"}); err == nil {
		t.Fatal("a cancelled query succeeded")
	}
	select {
	case <-b.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the statement was not cancelled")
	}
}
