package clickhouse

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/wharfdata/wharf/engine/session"
)

// This file writes results in ClickHouse's output formats. Text formats
// stream row by row through per-column encoders (text.go); Parquet and
// ArrowStream write the Arrow batches as they are.

// format is one output format.
type format struct {
	name        string // ClickHouse's spelling
	contentType string
	write       func(w *bufio.Writer, res *session.Result, o textOpts, elapsed time.Duration) error
}

// formats are looked up case-insensitively, aliases included.
var formats = map[string]*format{}

func init() {
	add := func(f *format, aliases ...string) {
		for _, n := range append(aliases, f.name) {
			formats[strings.ToLower(n)] = f
		}
	}
	tsv := "text/tab-separated-values; charset=UTF-8"
	add(&format{"TabSeparated", tsv, delimited(styleTSV, '\t', false, false)}, "TSV")
	add(&format{"TabSeparatedWithNames", tsv, delimited(styleTSV, '\t', true, false)}, "TSVWithNames")
	add(&format{"TabSeparatedWithNamesAndTypes", tsv, delimited(styleTSV, '\t', true, true)}, "TSVWithNamesAndTypes")
	csv := "text/csv; charset=UTF-8; header=absent"
	add(&format{"CSV", csv, delimited(styleCSV, ',', false, false)})
	add(&format{"CSVWithNames", "text/csv; charset=UTF-8; header=present", delimited(styleCSV, ',', true, false)})
	add(&format{"CSVWithNamesAndTypes", "text/csv; charset=UTF-8; header=present", delimited(styleCSV, ',', true, true)})
	add(&format{"JSON", "application/json; charset=UTF-8", writeJSON(false)})
	add(&format{"JSONCompact", "application/json; charset=UTF-8", writeJSON(true)})
	add(&format{"JSONEachRow", "application/x-ndjson; charset=UTF-8", writeJSONEachRow}, "JSONLines", "NDJSON")
	add(&format{"Parquet", "application/vnd.apache.parquet", writeParquet})
	add(&format{"ArrowStream", "application/vnd.apache.arrow.stream", writeArrowStream})
}

// lookupFormat finds a format by name.
func lookupFormat(name string) (*format, bool) {
	f, ok := formats[strings.ToLower(name)]
	return f, ok
}

// flushAt is how much text is buffered before it goes to the client.
const flushAt = 64 << 10

func schemaOf(res *session.Result) *arrow.Schema {
	if res.Schema != nil {
		return res.Schema
	}
	if len(res.Batches) > 0 {
		return res.Batches[0].Schema()
	}
	return arrow.NewSchema(nil, nil)
}

// rowEncoders builds one encoder per column of b.
func rowEncoders(b arrow.RecordBatch, o textOpts, encs []textEncoder) []textEncoder {
	encs = encs[:0]
	for c, f := range b.Schema().Fields() {
		encs = append(encs, newTextEncoder(b.Column(c), f, o))
	}
	return encs
}

// delimited writes TabSeparated and CSV, with a names and a types line if
// asked.
func delimited(style textStyle, sep byte, names, typesLine bool) func(*bufio.Writer, *session.Result, textOpts, time.Duration) error {
	return func(w *bufio.Writer, res *session.Result, o textOpts, _ time.Duration) error {
		o.style = style
		sc := schemaOf(res)
		var line []byte
		if names {
			for i, f := range sc.Fields() {
				if i > 0 {
					line = append(line, sep)
				}
				line = appendText(line, f.Name, style)
			}
			line = append(line, '\n')
		}
		if typesLine {
			for i, f := range sc.Fields() {
				if i > 0 {
					line = append(line, sep)
				}
				line = appendText(line, TypeName(f), style)
			}
			line = append(line, '\n')
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		var encs []textEncoder
		for _, b := range res.Batches {
			encs = rowEncoders(b, o, encs)
			for i := range int(b.NumRows()) {
				line = line[:0]
				for c, enc := range encs {
					if c > 0 {
						line = append(line, sep)
					}
					line = enc(line, i)
				}
				line = append(line, '\n')
				if _, err := w.Write(line); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// writeJSON writes ClickHouse's JSON or JSONCompact document.
func writeJSON(compact bool) func(*bufio.Writer, *session.Result, textOpts, time.Duration) error {
	return func(w *bufio.Writer, res *session.Result, o textOpts, elapsed time.Duration) error {
		o.style = styleJSON
		sc := schemaOf(res)
		line := []byte("{\n\t\"meta\":\n\t[")
		keys := make([][]byte, sc.NumFields())
		for i, f := range sc.Fields() {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, "\n\t\t{\n\t\t\t\"name\": "...)
			line = appendJSONString(line, f.Name)
			line = append(line, ",\n\t\t\t\"type\": "...)
			line = appendJSONString(line, TypeName(f))
			line = append(line, "\n\t\t}"...)
			keys[i] = append(appendJSONString(nil, f.Name), ": "...)
		}
		line = append(line, "\n\t],\n\n\t\"data\":\n\t["...)
		var (
			encs []textEncoder
			rows int64
		)
		for _, b := range res.Batches {
			encs = rowEncoders(b, o, encs)
			for i := range int(b.NumRows()) {
				if rows > 0 {
					line = append(line, ',')
				}
				rows++
				if compact {
					line = append(line, "\n\t\t["...)
					for c, enc := range encs {
						if c > 0 {
							line = append(line, ", "...)
						}
						line = enc(line, i)
					}
					line = append(line, ']')
				} else {
					line = append(line, "\n\t\t{"...)
					for c, enc := range encs {
						if c > 0 {
							line = append(line, ',')
						}
						line = append(line, "\n\t\t\t"...)
						line = append(line, keys[c]...)
						line = enc(line, i)
					}
					line = append(line, "\n\t\t}"...)
				}
				if len(line) >= flushAt {
					if _, err := w.Write(line); err != nil {
						return err
					}
					line = line[:0]
				}
			}
		}
		line = append(line, "\n\t],\n\n\t\"rows\": "...)
		line = strconv.AppendInt(line, rows, 10)
		line = append(line, ",\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": "...)
		line = strconv.AppendFloat(line, elapsed.Seconds(), 'f', -1, 64)
		line = append(line, ",\n\t\t\"rows_read\": "...)
		line = strconv.AppendInt(line, rows, 10)
		line = append(line, ",\n\t\t\"bytes_read\": "...)
		line = strconv.AppendInt(line, resultBytes(res), 10)
		line = append(line, "\n\t}\n}\n"...)
		_, err := w.Write(line)
		return err
	}
}

func writeJSONEachRow(w *bufio.Writer, res *session.Result, o textOpts, _ time.Duration) error {
	o.style = styleJSON
	sc := schemaOf(res)
	keys := make([][]byte, sc.NumFields())
	for i, f := range sc.Fields() {
		keys[i] = append(appendJSONString(nil, f.Name), ':')
	}
	var (
		line []byte
		encs []textEncoder
	)
	for _, b := range res.Batches {
		encs = rowEncoders(b, o, encs)
		for i := range int(b.NumRows()) {
			line = append(line[:0], '{')
			for c, enc := range encs {
				if c > 0 {
					line = append(line, ',')
				}
				line = append(line, keys[c]...)
				line = enc(line, i)
			}
			line = append(line, '}', '\n')
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeParquet(w *bufio.Writer, res *session.Result, _ textOpts, _ time.Duration) error {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	fw, err := pqarrow.NewFileWriter(schemaOf(res), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	for _, b := range res.Batches {
		if err := fw.WriteBuffered(b); err != nil {
			fw.Close()
			return err
		}
	}
	return fw.Close()
}

func writeArrowStream(w *bufio.Writer, res *session.Result, _ textOpts, _ time.Duration) error {
	iw := ipc.NewWriter(w, ipc.WithSchema(schemaOf(res)))
	for _, b := range res.Batches {
		if err := iw.Write(b); err != nil {
			iw.Close()
			return err
		}
	}
	return iw.Close()
}

// resultBytes is the in-memory size of a result, for statistics.
func resultBytes(res *session.Result) int64 {
	var n int64
	for _, b := range res.Batches {
		for _, col := range b.Columns() {
			for _, buf := range col.Data().Buffers() {
				if buf != nil {
					n += int64(buf.Len())
				}
			}
		}
	}
	return n
}

// writeResult writes res in f through a buffered writer.
func writeResult(w io.Writer, f *format, res *session.Result, o textOpts, elapsed time.Duration) error {
	bw := bufio.NewWriterSize(w, flushAt)
	if err := f.write(bw, res, o, elapsed); err != nil {
		return err
	}
	return bw.Flush()
}

// Encoder returns the media type of a ClickHouse output format (any name
// FORMAT accepts) and a function writing a rows result in it, for other
// front ends (the HTTP API's Accept header); ok is false for unknown names.
func Encoder(name string) (contentType string, write func(io.Writer, *session.Result) error, ok bool) {
	f, ok := lookupFormat(name)
	if !ok {
		return "", nil, false
	}
	return f.contentType, func(w io.Writer, res *session.Result) error {
		return writeResult(w, f, res, textOpts{quote64: true}, res.Stats.Elapsed)
	}, true
}
