package filesystem

import (
	"bytes"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/format"
	"github.com/wharfdata/wharf/internal/errkind"
)

// lineDecoder decodes one line into the builders of the physical columns.
type lineDecoder struct {
	dec      format.Decoder
	builders []array.Builder
}

func (s *source) newLineDecoder() (*lineDecoder, error) {
	var cols []connector.Column
	var builders []array.Builder
	for _, c := range s.spec.Columns {
		if c.MetadataKey == "" {
			cols = append(cols, c)
			builders = append(builders, array.NewBuilder(s.mem, c.Type))
		}
	}
	dec, err := format.New(s.format, cols, builders, s.formatOpts)
	if err != nil {
		for _, b := range builders {
			b.Release()
		}
		return nil, errkind.Errorf(errkind.Fatal, "table %s: %w", s.spec.Name, err)
	}
	return &lineDecoder{dec: dec, builders: builders}, nil
}

// lineReader reads a file of one record per line; positions are line
// numbers, and a line that does not decode is a BadRecord.
type lineReader struct {
	src   *source
	path  string
	split int32
	data  []byte // what is left to read
	pos   int64  // the next line's number
	skip  int64
	d     *lineDecoder
}

func (s *source) openLines(path string, split int32, data []byte) (reader, error) {
	d, err := s.newLineDecoder()
	if err != nil {
		return nil, err
	}
	return &lineReader{src: s, path: path, split: split, data: data, skip: s.from[split], d: d}, nil
}

func (r *lineReader) read() (connector.Batch, error) {
	b := connector.Batch{Split: r.split, From: r.pos}
	rows := 0
	for rows < r.src.batchRows && len(r.data) > 0 {
		line := r.data
		if i := bytes.IndexByte(r.data, '\n'); i >= 0 {
			line, r.data = r.data[:i], r.data[i+1:]
		} else {
			r.data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		pos := r.pos
		r.pos++
		if pos < r.skip {
			b.From = r.pos
			continue
		}
		if len(line) == 0 && len(r.data) == 0 {
			break // the newline that ends the file
		}
		err := r.d.dec.Decode(line)
		switch {
		case err == nil:
			rows++
			b.Pos = append(b.Pos, pos)
		case errors.Is(err, format.ErrSkipped):
		default:
			b.Bad = append(b.Bad, connector.BadRecord{Topic: r.path, Split: r.split, Position: pos, Err: err.Error(), Raw: append([]byte(nil), line...)})
		}
	}
	b.To = r.pos
	if b.From == b.To {
		return connector.Batch{}, io.EOF
	}
	b.Rows = r.batch(rows)
	return b, nil
}

// batch assembles the decoded rows with the metadata columns.
func (r *lineReader) batch(n int) arrow.RecordBatch {
	schema := r.src.schema
	cols := make([]arrow.Array, schema.NumFields())
	k := 0
	for i, c := range r.src.spec.Columns {
		if c.MetadataKey == "" {
			cols[i] = r.d.builders[k].NewArray()
			k++
			continue
		}
		sb := array.NewStringBuilder(r.src.mem)
		for range n {
			sb.Append(r.path)
		}
		cols[i] = sb.NewArray()
		sb.Release()
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func (r *lineReader) close() {
	for _, b := range r.d.builders {
		b.Release()
	}
}
