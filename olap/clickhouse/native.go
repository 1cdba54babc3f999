package clickhouse

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/ClickHouse/ch-go/proto"
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/session"
)

// This file is the ClickHouse native TCP protocol's server: handshake,
// ping, queries with their results as data blocks, progress, profile info,
// exceptions, cancel and LZ4 compression, on proto's encoders.

// serverRevision is the protocol revision wharf speaks: proto's, so every
// packet layout proto knows is the one sent. Each connection uses
// min(client, server).
const serverRevision = proto.Version

// legacyRevision: below it (ClickHouse 19 and older clients) types such
// clients do not know are sent as String (types.go).
const legacyRevision = 54429

// helloTimeout bounds how long a new connection may take to say hello.
const helloTimeout = 10 * time.Second

// compressChunk is how much block data goes into one compressed frame,
// ClickHouse's default.
const compressChunk = 1 << 20

// ServeNative serves the native protocol on ln until ctx is done, then
// closes ln and every connection (cancelling their statements) and
// returns nil once all connection goroutines have ended.
func (s *Server) ServeNative(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		wg.Wait()
	}()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			defer conn.Close()
			s.serveConn(ctx, conn)
		}()
	}
}

// packet is one decoded client packet, or the error that ended reading.
type packet struct {
	code  proto.ClientCode
	query *proto.Query
	err   error
}

// nativeConn is one connection's state.
type nativeConn struct {
	s        *Server
	rd       *packetReader
	w        *bufio.Writer
	buf      proto.Buffer
	revision int
	compress bool
	zw       *compress.Writer
	client   client
	pending  []packet
}

// serveConn runs one connection until the client leaves, sends garbage,
// or ctx ends. rw is a net.Conn, or anything else in tests and fuzzing.
func (s *Server) serveConn(ctx context.Context, rw io.ReadWriter) {
	c := &nativeConn{
		s:  s,
		rd: &packetReader{r: bufio.NewReaderSize(rw, 64<<10), maxBytes: s.maxQuery},
		w:  bufio.NewWriterSize(rw, 64<<10),
	}
	conn, _ := rw.(net.Conn)
	if conn != nil {
		_ = conn.SetDeadline(time.Now().Add(helloTimeout))
	}
	if err := c.handshake(); err != nil {
		c.fail(err)
		return
	}
	if conn != nil {
		_ = conn.SetDeadline(time.Time{})
	}
	packets := make(chan packet)
	done := make(chan struct{})
	defer close(done)
	go c.readPackets(packets, done)
	for {
		pk, ok := c.next(ctx, packets)
		if !ok {
			return
		}
		if pk.err != nil {
			if !errors.Is(pk.err, io.EOF) {
				c.fail(pk.err)
			}
			return
		}
		var err error
		switch pk.code {
		case proto.ClientCodePing:
			proto.ServerCodePong.Encode(&c.buf)
			err = c.flush()
		case proto.ClientCodeQuery:
			err = c.runQuery(ctx, pk.query, packets)
		case proto.ClientCodeData, proto.ClientCodeCancel:
			// A cancel that came after its query ended, or a stray empty block.
		}
		if err != nil {
			c.s.log.Debug("native connection ends", "err", err)
			return
		}
	}
}

// next returns the next packet, stashed ones first; ok is false once ctx
// is done.
func (c *nativeConn) next(ctx context.Context, packets <-chan packet) (packet, bool) {
	if len(c.pending) > 0 {
		pk := c.pending[0]
		c.pending = c.pending[1:]
		return pk, true
	}
	select {
	case pk := <-packets:
		return pk, true
	case <-ctx.Done():
		return packet{}, false
	}
}

// readPackets decodes packets until an error, handing each to the
// connection's goroutine, so a cancel is seen while a statement runs.
func (c *nativeConn) readPackets(out chan<- packet, done <-chan struct{}) {
	for {
		pk := c.readPacket()
		select {
		case out <- pk:
		case <-done:
			return
		}
		if pk.err != nil {
			return
		}
	}
}

func (c *nativeConn) readPacket() packet {
	code, err := c.rd.code()
	if err != nil {
		return packet{err: err}
	}
	switch code {
	case proto.ClientCodeQuery:
		q, err := c.rd.query()
		if err != nil {
			return packet{err: err}
		}
		c.rd.compress = q.Compression == proto.CompressionEnabled
		return packet{code: code, query: q}
	case proto.ClientCodeData:
		if _, _, _, err := c.rd.data(); err != nil {
			return packet{err: err}
		}
		return packet{code: code}
	case proto.ClientCodePing, proto.ClientCodeCancel:
		return packet{code: code}
	}
	return packet{err: exception(proto.ErrUnknownPacketFromClient, 0, "Unknown or unexpected packet %d from client", int(code))}
}

// handshake reads the client's hello, checks its credentials, answers with
// the server's hello and reads the addendum when the revision has one.
func (c *nativeConn) handshake() error {
	code, err := c.rd.code()
	if err != nil {
		return err
	}
	if code != proto.ClientCodeHello {
		return exception(proto.ErrUnexpectedPacketFromClient, 0, "Unexpected packet %d from client: expected Hello", int(code))
	}
	h, err := c.rd.hello()
	if err != nil {
		return err
	}
	c.revision = min(h.ProtocolVersion, serverRevision)
	c.rd.revision = c.revision
	readOnly, err := c.s.authorize(h.User, h.Password)
	if err != nil {
		return err
	}
	c.client = client{database: h.Database, readOnly: readOnly}
	hello := proto.ServerHello{
		Name: "wharf", Major: versionMajor, Minor: versionMinor, Revision: serverRevision,
		Timezone: c.s.timezone, DisplayName: "wharf", Patch: versionPatch,
	}
	hello.EncodeAware(&c.buf, c.revision)
	if err := c.flush(); err != nil {
		return err
	}
	if proto.FeatureAddendum.In(c.revision) {
		if _, err := c.rd.str("quota key"); err != nil {
			return err
		}
	}
	return nil
}

// runQuery waits for the empty block that ends the query's external
// tables, runs the statement (cancelled by a Cancel packet) and sends its
// result.
func (c *nativeConn) runQuery(ctx context.Context, q *proto.Query, packets <-chan packet) error {
	pk, ok := c.next(ctx, packets)
	if !ok {
		return ctx.Err()
	}
	if pk.err != nil {
		return pk.err
	}
	if pk.code != proto.ClientCodeData {
		return exception(proto.ErrUnexpectedPacketFromClient, 0, "Unexpected packet %d from client: expected the data block that ends external tables", int(pk.code))
	}
	c.compress = q.Compression == proto.CompressionEnabled
	settings := make(map[string]string, len(q.Settings))
	for _, st := range q.Settings {
		settings[st.Key] = st.Value
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		out *outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := c.s.execute(qctx, &c.client, q.Body, settings)
		done <- result{out, err}
	}()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				return c.sendException(toException(r.err))
			}
			defer r.out.res.Release()
			return c.sendResult(r.out)
		case pk := <-packets:
			if pk.err == nil && pk.code == proto.ClientCodeCancel {
				cancel()
				continue
			}
			c.pending = append(c.pending, pk)
			if pk.err != nil {
				cancel()
			}
		case <-ctx.Done():
			cancel()
			<-done
			return ctx.Err()
		}
	}
}

// sendResult sends a statement's result: a header block with the columns,
// the data blocks, progress, profile info and the end of the stream.
func (c *nativeConn) sendResult(out *outcome) error {
	var rows, bytes, blocks uint64
	if res := out.res; res != nil && res.Kind == session.ResultRows {
		sc := schemaOf(res)
		if err := c.sendBlock(sc, nil); err != nil {
			return err
		}
		for _, b := range res.Batches {
			if b.NumRows() == 0 {
				continue
			}
			if err := c.sendBlock(sc, b); err != nil {
				return err
			}
			rows += uint64(b.NumRows())
			blocks++
		}
		bytes = uint64(resultBytes(res))
	}
	var wrote uint64
	if out.res != nil {
		wrote = uint64(max(out.res.Stats.RowsAffected, 0))
	}
	proto.ServerCodeProgress.Encode(&c.buf)
	proto.Progress{Rows: rows, Bytes: bytes, TotalRows: rows, WroteRows: wrote, ElapsedNs: uint64(out.elapsed.Nanoseconds())}.EncodeAware(&c.buf, c.revision)
	if out.res != nil && out.res.Kind == session.ResultRows {
		// Calculated, as a server that computed rows_before_limit says: ClickHouse
		// 18 clients otherwise recompute it from streams they lack and crash.
		proto.Profile{Rows: rows, Blocks: blocks, Bytes: bytes, CalculatedRowsBeforeLimit: true}.EncodeAware(&c.buf, c.revision)
	}
	proto.ServerCodeEndOfStream.Encode(&c.buf)
	return c.flush()
}

// sendBlock sends one data block; b nil is the header block (no rows).
func (c *nativeConn) sendBlock(sc *arrow.Schema, b arrow.RecordBatch) error {
	proto.ServerCodeData.Encode(&c.buf)
	if proto.FeatureTempTables.In(c.revision) {
		c.buf.PutString("")
	}
	var body proto.Buffer
	if proto.FeatureBlockInfo.In(c.revision) {
		proto.BlockInfo{BucketNum: -1}.Encode(&body)
	}
	rows := 0
	if b != nil {
		rows = int(b.NumRows())
	}
	legacy := c.revision < legacyRevision
	body.PutInt(sc.NumFields())
	body.PutInt(rows)
	for i, f := range sc.Fields() {
		body.PutString(f.Name)
		body.PutString(typeName(f, legacy))
		if proto.FeatureCustomSerialization.In(c.revision) {
			body.PutBool(false)
		}
		if rows > 0 {
			body.Buf = appendColumn(body.Buf, f, b.Column(i), legacy)
		}
	}
	if !c.compress {
		c.buf.PutRaw(body.Buf)
		return c.flush()
	}
	if c.zw == nil {
		c.zw = compress.NewWriter(compress.LevelZero, compress.LZ4)
	}
	for data := body.Buf; len(data) > 0; {
		n := min(len(data), compressChunk)
		if err := c.zw.Compress(data[:n]); err != nil {
			return err
		}
		c.buf.PutRaw(c.zw.Data)
		data = data[n:]
	}
	return c.flush()
}

// sendException sends ex; the connection stays usable.
func (c *nativeConn) sendException(ex *Exception) error {
	if ex.Status >= 500 || ex.Status == 0 {
		c.s.log.Warn("ClickHouse native query failed", "code", int(ex.Code), "err", ex.Message)
	}
	proto.ServerCodeException.Encode(&c.buf)
	e := proto.Exception{Code: ex.Code, Name: "DB::Exception", Message: ex.display()}
	e.EncodeAware(&c.buf, c.revision)
	return c.flush()
}

// fail answers a broken connection with an exception, as far as the
// client still listens.
func (c *nativeConn) fail(err error) {
	var pe *errProtocol
	ex := toException(err)
	if errors.As(err, &pe) || errors.Is(err, io.ErrUnexpectedEOF) {
		ex = exception(proto.ErrUnexpectedPacketFromClient, 0, "%s", err.Error())
	}
	_ = c.sendException(ex)
}

func (c *nativeConn) flush() error {
	_, err := c.w.Write(c.buf.Buf)
	c.buf.Reset()
	if err != nil {
		return err
	}
	return c.w.Flush()
}
