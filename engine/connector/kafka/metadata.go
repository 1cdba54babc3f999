package kafka

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/connector"
)

// metaTypes are the readable metadata keys of Flink's Kafka connector, with
// the type each column must have and a check of the Arrow type.
var metaTypes = map[string]struct {
	flink string
	ok    func(arrow.DataType) bool
}{
	"topic":          {"STRING", is(arrow.STRING)},
	"partition":      {"INT", is(arrow.INT32)},
	"offset":         {"BIGINT", is(arrow.INT64)},
	"timestamp":      {"TIMESTAMP_LTZ(3)", is(arrow.TIMESTAMP)},
	"timestamp-type": {"STRING", is(arrow.STRING)},
	"leader-epoch":   {"INT", is(arrow.INT32)},
	"key":            {"BYTES", is(arrow.BINARY)},
	"headers": {"MAP<STRING, BYTES>", func(dt arrow.DataType) bool {
		m, ok := dt.(*arrow.MapType)
		return ok && m.KeyType().ID() == arrow.STRING && m.ItemType().ID() == arrow.BINARY
	}},
}

func is(id arrow.Type) func(arrow.DataType) bool {
	return func(dt arrow.DataType) bool { return dt.ID() == id }
}

// metaColumn fills one metadata column from each record.
type metaColumn struct {
	key  string
	b    array.Builder
	unit arrow.TimeUnit // timestamp
}

func checkMetadata(c connector.Column) error {
	m, ok := metaTypes[c.MetadataKey]
	if !ok {
		keys := make([]string, 0, len(metaTypes))
		for k := range metaTypes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Errorf("column %s: unknown Kafka metadata key '%s' (known: %s)", c.Name, c.MetadataKey, strings.Join(keys, ", "))
	}
	if !m.ok(c.Type) {
		return fmt.Errorf("column %s: metadata '%s' is %s, not %s", c.Name, c.MetadataKey, m.flink, c.Declared)
	}
	return nil
}

func newMetaColumn(c connector.Column, b array.Builder) metaColumn {
	mc := metaColumn{key: c.MetadataKey, b: b}
	if ts, ok := c.Type.(*arrow.TimestampType); ok {
		mc.unit = ts.Unit
	}
	return mc
}

// timestampTypes are Kafka's names, as Flink shows them.
var timestampTypes = map[int8]string{-1: "NoTimestampType", 0: "CreateTime", 1: "LogAppendTime"}

func (m *metaColumn) append(r *kgo.Record) {
	switch m.key {
	case "topic":
		m.b.(*array.StringBuilder).Append(r.Topic)
	case "partition":
		m.b.(*array.Int32Builder).Append(r.Partition)
	case "offset":
		m.b.(*array.Int64Builder).Append(r.Offset)
	case "timestamp":
		var v int64
		switch ts := r.Timestamp; m.unit {
		case arrow.Second:
			v = ts.Unix()
		case arrow.Millisecond:
			v = ts.UnixMilli()
		case arrow.Microsecond:
			v = ts.UnixMilli() * 1e3
		default:
			v = ts.UnixMilli() * 1e6
		}
		m.b.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
	case "timestamp-type":
		m.b.(*array.StringBuilder).Append(timestampTypes[r.Attrs.TimestampType()])
	case "leader-epoch":
		if r.LeaderEpoch < 0 {
			m.b.AppendNull()
		} else {
			m.b.(*array.Int32Builder).Append(r.LeaderEpoch)
		}
	case "key":
		if r.Key == nil {
			m.b.AppendNull()
		} else {
			m.b.(*array.BinaryBuilder).Append(r.Key)
		}
	case "headers":
		mb := m.b.(*array.MapBuilder)
		mb.Append(true)
		kb, vb := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.BinaryBuilder)
		for _, h := range r.Headers {
			kb.Append(h.Key)
			if h.Value == nil {
				vb.AppendNull()
			} else {
				vb.Append(h.Value)
			}
		}
	}
}
