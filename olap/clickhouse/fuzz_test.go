package clickhouse

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/ClickHouse/ch-go/proto"
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/session"
)

// constBackend answers every statement with one row: the fuzz targets test
// decoding, not the engine.
type constBackend struct{}

func (constBackend) Exec(context.Context, string, bool) (*session.Result, error) {
	return rowsResult([]column{{"x", arrow.PrimitiveTypes.Uint8}}, [][]any{{uint8(1)}}), nil
}

// legacyQuery is what clickhouse-client 18.16 (revision 54412) sent for
// SELECT 1, captured: proto's query encoder leaves the client info out
// below revision 54420, where ClickHouse has sent it since 54032.
const legacyQuery = "\x01\x00\x01\x00\x00\x09\x30\x2e\x30\x2e\x30\x2e\x30\x3a\x30\x01\x00\x02\x76\x6d\x11\x43\x6c\x69\x63\x6b\x48\x6f\x75\x73\x65\x20\x63\x6c\x69\x65\x6e\x74\x12\x10\x8c\xa9\x03\x00\x01\x00\x02\x01\x08\x53\x45\x4c\x45\x43\x54\x20\x31\x02\x00\xa7\x83\xac\x6c\xd5\x5c\x7a\x7c\xb5\xac\x46\xbd\xdb\x86\xe2\x14\x82\x14\x00\x00\x00\x0a\x00\x00\x00\xa0\x01\x00\x02\xff\xff\xff\xff\x00\x00\x00"

// clientSession encodes what a client sends: hello, addendum, a query and
// the empty block that ends external tables, with proto's client encoders.
func clientSession(revision int, compressed bool) []byte {
	var b proto.Buffer
	proto.ClientHello{Name: "fuzz", Major: 24, Minor: 8, ProtocolVersion: revision, User: "default"}.Encode(&b)
	if revision < int(proto.FeatureClientWriteInfo) {
		b.PutRaw([]byte(legacyQuery))
		return b.Buf
	}
	if proto.FeatureAddendum.In(revision) {
		b.PutString("")
	}
	proto.ClientCodePing.Encode(&b)
	q := proto.Query{ID: "q", Body: "SELECT 1 FORMAT JSON", Info: proto.ClientInfo{
		Interface: proto.InterfaceTCP, Query: proto.ClientQueryInitial, ProtocolVersion: revision,
	}, Settings: []proto.Setting{{Key: "max_threads", Value: "1"}}}
	if compressed {
		q.Compression = proto.CompressionEnabled
	}
	q.EncodeAware(&b, revision)
	proto.ClientCodeData.Encode(&b)
	proto.ClientData{}.EncodeAware(&b, revision)
	var block proto.Buffer
	proto.Block{}.EncodeAware(&block, revision)
	if compressed {
		w := compress.NewWriter(compress.LevelZero, compress.LZ4)
		if err := w.Compress(block.Buf); err != nil {
			panic(err)
		}
		b.PutRaw(w.Data)
	} else {
		b.PutRaw(block.Buf)
	}
	proto.ClientCodeCancel.Encode(&b)
	return b.Buf
}

type fuzzConn struct {
	io.Reader
	io.Writer
}

// FuzzNativeConn feeds arbitrary bytes to a connection handler: it must
// neither panic nor allocate beyond its limits, and must return.
func FuzzNativeConn(f *testing.F) {
	for _, rev := range []int{54412, 54453, serverRevision} {
		f.Add(clientSession(rev, false))
		f.Add(clientSession(rev, true))
	}
	s := New(constBackend{}, WithMaxQueryBytes(64<<10))
	f.Fuzz(func(t *testing.T, data []byte) {
		s.serveConn(context.Background(), fuzzConn{bytes.NewReader(data), io.Discard})
	})
}

// FuzzSplitStatement: the clause splitter never panics, and what it keeps
// is a substring of its input.
func FuzzSplitStatement(f *testing.F) {
	for _, s := range []string{fixtureQuery + " SETTINGS a = 1 FORMAT JSON;", "SELECT 'x FORMAT' /* c */ -- d\n", "`a``b` FORMAT", "SELECT (1) SETTINGS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		st, err := splitStatement(text)
		if err == nil && !bytes.Contains([]byte(text), []byte(st.text)) {
			t.Fatalf("%q kept %q", text, st.text)
		}
	})
}

// TestNativeSeeds checks that the fuzz seeds are real sessions: each gets
// its pong, data and end of stream.
func TestNativeSeeds(t *testing.T) {
	s := New(constBackend{})
	for _, rev := range []int{54412, 54453, serverRevision} {
		for _, comp := range []bool{false, true} {
			if rev == 54412 && !comp {
				continue // the captured legacy query is compressed
			}
			var out bytes.Buffer
			s.serveConn(context.Background(), fuzzConn{bytes.NewReader(clientSession(rev, comp)), &out})
			if out.Len() < 20 || out.Bytes()[out.Len()-1] != byte(proto.ServerCodeEndOfStream) {
				t.Errorf("revision %d compressed %v: %d bytes, last %v", rev, comp, out.Len(), out.Bytes()[max(0, out.Len()-4):])
			}
		}
	}
}
