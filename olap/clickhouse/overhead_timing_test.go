package clickhouse

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ClickHouse/ch-go"
	"github.com/ClickHouse/ch-go/proto"
)

// Per-query cost of SELECT 1 straight through the session, and through
// each front end over loopback with a real client: the differences are
// the front ends' overhead.

func BenchmarkSelectOneSession(b *testing.B) {
	sess := newBackend(b)
	b.ReportAllocs()
	for b.Loop() {
		res, err := sess.Exec(context.Background(), "SELECT 1", true)
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
	}
}

func BenchmarkSelectOneNative(b *testing.B) {
	addr := startNative(b, newBackend(b))
	for _, comp := range []ch.Compression{ch.CompressionDisabled, ch.CompressionLZ4} {
		b.Run(comp.String(), func(b *testing.B) {
			c := dial(b, addr, ch.Options{Compression: comp})
			var col proto.ColInt32
			col2 := proto.NewColNullable[int32](&col)
			b.ReportAllocs()
			for b.Loop() {
				col2.Reset()
				if err := c.Do(context.Background(), ch.Query{Body: "SELECT 1", Result: proto.Results{{Name: "EXPR$0", Data: col2}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSelectOneHTTP(b *testing.B) {
	hs := httptest.NewServer(New(newBackend(b)).HTTPHandler())
	defer hs.Close()
	url := hs.URL + "/?query=SELECT%201"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
