package nexmark

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/connector/gensrc"
)

// ftype is a Nexmark field's SQL type.
type ftype uint8

const (
	tBigint ftype = iota
	tString
	tTimestamp
)

func (t ftype) String() string { return [...]string{"BIGINT", "STRING", "TIMESTAMP(3)"}[t] }

type fieldDef struct {
	name string
	typ  ftype
}

// Field numbers of each kind, indexes into its field list and event slots.
const (
	pID = iota
	pName
	pEmail
	pCard
	pCity
	pState
	pTime
	pExtra
)

const (
	aID = iota
	aItem
	aDesc
	aInitial
	aReserve
	aTime
	aExpires
	aSeller
	aCategory
	aExtra
)

const (
	bAuction = iota
	bBidder
	bPrice
	bChannel
	bURL
	bTime
	bExtra
)

const maxFields = 10

var (
	personFields = []fieldDef{
		{"id", tBigint}, {"name", tString}, {"emailAddress", tString}, {"creditCard", tString},
		{"city", tString}, {"state", tString}, {"dateTime", tTimestamp}, {"extra", tString},
	}
	auctionFields = []fieldDef{
		{"id", tBigint}, {"itemName", tString}, {"description", tString}, {"initialBid", tBigint},
		{"reserve", tBigint}, {"dateTime", tTimestamp}, {"expires", tTimestamp}, {"seller", tBigint},
		{"category", tBigint}, {"extra", tString},
	}
	bidFields = []fieldDef{
		{"auction", tBigint}, {"bidder", tBigint}, {"price", tBigint}, {"channel", tString},
		{"url", tString}, {"dateTime", tTimestamp}, {"extra", tString},
	}
	kindFields = [...][]fieldDef{kindPerson: personFields, kindAuction: auctionFields, kindBid: bidFields}
)

// sink is how a column stores its field's values.
type sink uint8

const (
	sInt64 sink = iota
	sDecimal
	sBinary
	sTimestamp
)

// column writes one event field into one declared column.
type column struct {
	field int
	sink  sink
	mul   int64          // sTimestamp: units per millisecond
	scale decimal128.Num // sDecimal: 10^scale
}

// bindColumns maps the declared columns to the kind's fields by name (any
// case) and checks that each field's values fit the declared type.
func bindColumns(table string, k kind, cols []connector.Column) ([]column, error) {
	fields := kindFields[k]
	out := make([]column, len(cols))
	for i, c := range cols {
		if c.MetadataKey != "" {
			return nil, fmt.Errorf("%s: column %s: the nexmark connector has no metadata ('%s')", table, c.Name, c.MetadataKey)
		}
		f := -1
		for j, d := range fields {
			if strings.EqualFold(d.name, c.Name) {
				f = j
			}
		}
		if f < 0 {
			return nil, fmt.Errorf("%s: column %s is not a field of nexmark %s events (fields: %s)", table, c.Name, k, fieldList(fields))
		}
		col, ok := sinkFor(fields[f].typ, c)
		if !ok {
			return nil, fmt.Errorf("%s: column %s is declared %s but nexmark %s.%s is %s and does not fit", table, c.Name, declared(c), k, fields[f].name, fields[f].typ)
		}
		col.field = f
		out[i] = col
	}
	return out, nil
}

// sinkFor says how a field of type t is stored in column c, false when it
// cannot be without loss: BIGINT into BIGINT or a DECIMAL with ≥ 19
// integer digits, STRING into any string, TIMESTAMP(3) into a TIMESTAMP or
// TIMESTAMP_LTZ of precision ≥ 3.
func sinkFor(t ftype, c connector.Column) (column, bool) {
	switch t {
	case tBigint:
		switch dt := c.Type.(type) {
		case *arrow.Int64Type:
			return column{sink: sInt64}, true
		case *arrow.Decimal128Type:
			if dt.Precision-dt.Scale >= 19 {
				return column{sink: sDecimal, scale: decimal128.GetScaleMultiplier(int(dt.Scale))}, true
			}
		}
	case tString:
		switch c.Type.(type) {
		case *arrow.StringType, *arrow.LargeStringType:
			return column{sink: sBinary}, true
		}
	case tTimestamp:
		dt, ok := c.Type.(*arrow.TimestampType)
		if !ok || dt.Unit == arrow.Second || gensrc.DeclaredPrecision(c.Declared, 3) < 3 {
			return column{}, false
		}
		return column{sink: sTimestamp, mul: [...]int64{1, 1, 1000, 1000000}[dt.Unit]}, true
	}
	return column{}, false
}

func declared(c connector.Column) string {
	if c.Declared != "" {
		return c.Declared
	}
	return c.Type.String()
}

func fieldList(fields []fieldDef) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// appender holds the typed builders of a batch's columns.
type appender struct {
	cols []column
	i64  []*array.Int64Builder
	dec  []*array.Decimal128Builder
	bin  []*array.BinaryBuilder
	ts   []*array.TimestampBuilder
}

func newAppender(cols []column, rb *array.RecordBuilder) *appender {
	n := len(cols)
	a := &appender{cols: cols, i64: make([]*array.Int64Builder, n), dec: make([]*array.Decimal128Builder, n),
		bin: make([]*array.BinaryBuilder, n), ts: make([]*array.TimestampBuilder, n)}
	for i, c := range cols {
		switch b := rb.Field(i).(type) {
		case *array.Int64Builder:
			a.i64[i] = b
		case *array.Decimal128Builder:
			a.dec[i] = b
		case *array.StringBuilder:
			a.bin[i] = b.BinaryBuilder
		case *array.LargeStringBuilder:
			a.bin[i] = b.BinaryBuilder
		case *array.TimestampBuilder:
			a.ts[i] = b
		default:
			panic(fmt.Sprintf("BUG: column %d (sink %d) has builder %T", i, c.sink, b))
		}
	}
	return a
}

// reserve makes room for n more rows.
func (a *appender) reserve(n int) {
	for i, c := range a.cols {
		switch c.sink {
		case sInt64:
			a.i64[i].Reserve(n)
		case sDecimal:
			a.dec[i].Reserve(n)
		case sBinary:
			a.bin[i].Reserve(n)
		case sTimestamp:
			a.ts[i].Reserve(n)
		}
	}
}

// add appends ev as one row.
func (a *appender) add(ev *event) {
	for i, c := range a.cols {
		switch c.sink {
		case sInt64:
			a.i64[i].UnsafeAppend(ev.ints[c.field])
		case sDecimal:
			a.dec[i].Append(decimal128.FromI64(ev.ints[c.field]).Mul(c.scale))
		case sBinary:
			a.bin[i].Append(ev.str(c.field))
		case sTimestamp:
			a.ts[i].UnsafeAppend(arrow.Timestamp(ev.ints[c.field] * c.mul))
		}
	}
}
