package clickhouse

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/ClickHouse/ch-go/proto"
)

// This file decodes what native-protocol clients send. proto's decoders
// allocate a string's declared length before reading it, so a hostile
// length would make the server allocate without bound; wharf reads every
// client packet here instead, with each length checked against a limit
// before anything is allocated, into proto's packet types.

// packetReader reads client packets from one connection.
type packetReader struct {
	r        *bufio.Reader
	maxBytes int  // longest string and compressed frame accepted
	revision int  // negotiated protocol revision
	compress bool // data blocks arrive LZ4-compressed (set by the query)
}

// errProtocol marks malformed input: the connection is answered with an
// exception and closed.
type errProtocol struct{ msg string }

func (e *errProtocol) Error() string { return e.msg }

func protocolErr(format string, args ...any) error {
	return &errProtocol{fmt.Sprintf(format, args...)}
}

func (p *packetReader) uvarint(what string) (uint64, error) {
	v, err := binary.ReadUvarint(p.r)
	if err != nil {
		return 0, p.wrap(err, what)
	}
	return v, nil
}

func (p *packetReader) int(what string) (int, error) {
	v, err := p.uvarint(what)
	if err != nil {
		return 0, err
	}
	if v > 1<<31 {
		return 0, protocolErr("%s: %d is out of range", what, v)
	}
	return int(v), nil
}

func (p *packetReader) str(what string) (string, error) {
	n, err := p.uvarint(what)
	if err != nil {
		return "", err
	}
	if n > uint64(p.maxBytes) {
		return "", protocolErr("%s is %d bytes, over the limit of %d", what, n, p.maxBytes)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		return "", p.wrap(err, what)
	}
	return string(b), nil
}

func (p *packetReader) bytes(n int, what string) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		return nil, p.wrap(err, what)
	}
	return b, nil
}

func (p *packetReader) byte(what string) (byte, error) {
	b, err := p.r.ReadByte()
	if err != nil {
		return 0, p.wrap(err, what)
	}
	return b, nil
}

// wrap keeps io.EOF recognisable (the client hung up between packets) and
// names the field otherwise.
func (p *packetReader) wrap(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading %s: %w", what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// code reads the next packet's code; io.EOF when the client closed cleanly.
func (p *packetReader) code() (proto.ClientCode, error) {
	v, err := binary.ReadUvarint(p.r)
	if errors.Is(err, io.EOF) {
		return 0, io.EOF
	}
	if err != nil {
		return 0, p.wrap(err, "packet code")
	}
	if v > 255 {
		return 0, protocolErr("unknown packet %d from client", v)
	}
	return proto.ClientCode(v), nil
}

func (p *packetReader) hello() (*proto.ClientHello, error) {
	h := &proto.ClientHello{}
	var err error
	if h.Name, err = p.str("client name"); err != nil {
		return nil, err
	}
	if h.Major, err = p.int("major version"); err != nil {
		return nil, err
	}
	if h.Minor, err = p.int("minor version"); err != nil {
		return nil, err
	}
	if h.ProtocolVersion, err = p.int("protocol revision"); err != nil {
		return nil, err
	}
	if h.Database, err = p.str("database"); err != nil {
		return nil, err
	}
	if h.User, err = p.str("user"); err != nil {
		return nil, err
	}
	if h.Password, err = p.str("password"); err != nil {
		return nil, err
	}
	return h, nil
}

// query reads a query packet (after its code).
func (p *packetReader) query() (*proto.Query, error) {
	q := &proto.Query{}
	var err error
	if q.ID, err = p.str("query id"); err != nil {
		return nil, err
	}
	if proto.FeatureClientWriteInfo.In(p.revision) || p.revision >= revisionClientInfo {
		if err := p.clientInfo(&q.Info); err != nil {
			return nil, err
		}
	}
	for {
		k, err := p.str("setting name")
		if err != nil {
			return nil, err
		}
		if k == "" {
			break
		}
		if !proto.FeatureSettingsSerializedAsStrings.In(p.revision) {
			// Before 54429 each value is in its setting's own binary type,
			// which only a table of every setting could decode.
			return nil, protocolErr("setting %s: settings from clients older than protocol revision %d are not supported; connect without settings", k, proto.FeatureSettingsSerializedAsStrings)
		}
		flags, err := p.uvarint("setting flags")
		if err != nil {
			return nil, err
		}
		v, err := p.str("setting value")
		if err != nil {
			return nil, err
		}
		q.Settings = append(q.Settings, proto.Setting{Key: k, Value: v, Important: flags&1 != 0, Custom: flags&2 != 0})
		if len(q.Settings) > maxSettings {
			return nil, protocolErr("more than %d settings", maxSettings)
		}
	}
	if proto.FeatureInterServerSecret.In(p.revision) {
		if q.Secret, err = p.str("inter-server secret"); err != nil {
			return nil, err
		}
	}
	stage, err := p.uvarint("stage")
	if err != nil {
		return nil, err
	}
	q.Stage = proto.Stage(stage)
	c, err := p.uvarint("compression")
	if err != nil {
		return nil, err
	}
	if c > 1 {
		return nil, protocolErr("unknown compression flag %d", c)
	}
	q.Compression = proto.Compression(c)
	if q.Body, err = p.str("query text"); err != nil {
		return nil, err
	}
	if proto.FeatureParameters.In(p.revision) {
		for n := 0; ; n++ {
			k, err := p.str("parameter name")
			if err != nil {
				return nil, err
			}
			if k == "" {
				break
			}
			if _, err := p.uvarint("parameter flags"); err != nil {
				return nil, err
			}
			v, err := p.str("parameter value")
			if err != nil {
				return nil, err
			}
			q.Parameters = append(q.Parameters, proto.Parameter{Key: k, Value: v})
			if n > maxSettings {
				return nil, protocolErr("more than %d parameters", maxSettings)
			}
		}
	}
	return q, nil
}

const (
	// revisionClientInfo is DBMS_MIN_REVISION_WITH_CLIENT_INFO.
	revisionClientInfo = 54032
	maxSettings        = 4096
)

// clientInfo reads the client info of a query, field by field as the
// revision has them.
func (p *packetReader) clientInfo(c *proto.ClientInfo) error {
	kind, err := p.byte("query kind")
	if err != nil {
		return err
	}
	c.Query = proto.ClientQueryKind(kind)
	if kind == 0 { // NO_QUERY: nothing else follows
		return nil
	}
	if c.InitialUser, err = p.str("initial user"); err != nil {
		return err
	}
	if c.InitialQueryID, err = p.str("initial query id"); err != nil {
		return err
	}
	if c.InitialAddress, err = p.str("initial address"); err != nil {
		return err
	}
	if proto.FeatureQueryStartTime.In(p.revision) {
		if _, err := p.bytes(8, "query start time"); err != nil {
			return err
		}
	}
	iface, err := p.byte("interface")
	if err != nil {
		return err
	}
	if iface != byte(proto.InterfaceTCP) {
		return protocolErr("client info: interface %d, want TCP (1)", iface)
	}
	c.Interface = proto.InterfaceTCP
	if c.OSUser, err = p.str("os user"); err != nil {
		return err
	}
	if c.ClientHostname, err = p.str("client hostname"); err != nil {
		return err
	}
	if c.ClientName, err = p.str("client name"); err != nil {
		return err
	}
	if c.Major, err = p.int("client major"); err != nil {
		return err
	}
	if c.Minor, err = p.int("client minor"); err != nil {
		return err
	}
	if c.ProtocolVersion, err = p.int("client revision"); err != nil {
		return err
	}
	if proto.FeatureQuotaKeyInClientInfo.In(p.revision) {
		if c.QuotaKey, err = p.str("quota key"); err != nil {
			return err
		}
	}
	if proto.FeatureDistributedDepth.In(p.revision) {
		if c.DistributedDepth, err = p.int("distributed depth"); err != nil {
			return err
		}
	}
	if proto.FeatureVersionPatch.In(p.revision) {
		if c.Patch, err = p.int("client patch"); err != nil {
			return err
		}
	}
	if proto.FeatureOpenTelemetry.In(p.revision) {
		has, err := p.byte("trace flag")
		if err != nil {
			return err
		}
		if has == 1 {
			if _, err := p.bytes(32, "trace and span id"); err != nil {
				return err
			}
			if _, err := p.str("trace state"); err != nil {
				return err
			}
			if _, err := p.byte("trace flags"); err != nil {
				return err
			}
		}
	}
	if proto.FeatureParallelReplicas.In(p.revision) {
		for _, what := range []string{"collaborate with initiator", "participating replicas", "current replica"} {
			if _, err := p.uvarint(what); err != nil {
				return err
			}
		}
	}
	return nil
}

// data reads a data packet (after its code) and returns its table name and
// row and column counts. wharf takes no data from clients, so only empty
// blocks (the end of external tables every query sends) have a use; a
// non-empty block is still read whole, within the limits, so the stream
// stays in step.
func (p *packetReader) data() (table string, cols, rows int, err error) {
	if proto.FeatureTempTables.In(p.revision) {
		if table, err = p.str("external table name"); err != nil {
			return "", 0, 0, err
		}
	}
	src := p
	if p.compress {
		frame, err := p.frame()
		if err != nil {
			return "", 0, 0, err
		}
		src = &packetReader{r: bufio.NewReader(bytes.NewReader(frame)), maxBytes: p.maxBytes, revision: p.revision}
	}
	if proto.FeatureBlockInfo.In(p.revision) {
		if err := src.blockInfo(); err != nil {
			return "", 0, 0, err
		}
	}
	if cols, err = src.int("column count"); err != nil {
		return "", 0, 0, err
	}
	if rows, err = src.int("row count"); err != nil {
		return "", 0, 0, err
	}
	if cols > 0 || rows > 0 {
		return "", 0, 0, protocolErr("wharf takes no data blocks over the native protocol (external tables, INSERT data); put values in the statement, INSERT … VALUES")
	}
	return table, cols, rows, nil
}

func (p *packetReader) blockInfo() error {
	for {
		field, err := p.uvarint("block info field")
		if err != nil {
			return err
		}
		switch field {
		case 0:
			return nil
		case 1:
			if _, err := p.byte("is_overflows"); err != nil {
				return err
			}
		case 2:
			if _, err := p.bytes(4, "bucket_num"); err != nil {
				return err
			}
		default:
			return protocolErr("unknown block info field %d", field)
		}
	}
}

// compressHeader is a compressed frame's header: checksum (16), method (1),
// compressed size with the 9 bytes of method and sizes (4), raw size (4).
const compressHeader = 16 + 1 + 4 + 4

// frame reads one compressed frame and returns its decompressed bytes.
func (p *packetReader) frame() ([]byte, error) {
	hdr, err := p.bytes(compressHeader, "compressed frame header")
	if err != nil {
		return nil, err
	}
	size := int64(binary.LittleEndian.Uint32(hdr[17:])) - 9
	raw := int64(binary.LittleEndian.Uint32(hdr[21:]))
	if size < 0 || size > int64(p.maxBytes) || raw > int64(p.maxBytes) {
		return nil, protocolErr("compressed frame of %d bytes (%d decompressed) is over the limit of %d", size, raw, p.maxBytes)
	}
	body, err := p.bytes(int(size), "compressed frame")
	if err != nil {
		return nil, err
	}
	out := make([]byte, raw)
	zr := compress.NewReader(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(body)))
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, protocolErr("compressed frame: %v", err)
	}
	return out, nil
}
