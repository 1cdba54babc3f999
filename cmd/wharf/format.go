package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfdata/wharf/api"
)

// printResult prints one statement's answer in the chosen format.
func printResult(std stdio, format string, raw []byte, resp *api.SQLResponse) error {
	switch {
	case format == "json":
		_, err := std.stdout.Write(raw)
		return err
	case resp.Columns != nil && format == "csv":
		return writeCSV(std.stdout, resp)
	case resp.Columns != nil:
		return writeTable(std.stdout, resp)
	}
	// Acknowledgements go to stderr in CSV mode, so stdout stays CSV.
	out := std.stdout
	if format == "csv" {
		out = std.stderr
	}
	switch {
	case resp.JobID != "":
		fmt.Fprintf(out, "[INFO] Job submitted. Job ID: %s\n", resp.JobID)
	default:
		msg := "[INFO] Execute statement succeeded."
		if st := resp.Stats; st != nil {
			if st.RowsAffected != 0 {
				msg += fmt.Sprintf(" %d rows affected.", st.RowsAffected)
			}
			if st.SnapshotID != 0 {
				msg += fmt.Sprintf(" Snapshot %d.", st.SnapshotID)
			}
		}
		fmt.Fprintln(out, msg)
	}
	return nil
}

// cell renders a JSON value for the table: NULL as <NULL>, strings without
// quotes, booleans as TRUE/FALSE (Flink's cast to STRING), the rest as JSON.
func cell(v json.RawMessage) string {
	switch {
	case len(v) == 0, string(v) == "null":
		return "<NULL>"
	case v[0] == '"':
		return unquote(v)
	case string(v) == "true":
		return "TRUE"
	case string(v) == "false":
		return "FALSE"
	}
	return string(v)
}

// csvField renders a JSON value for CSV: NULL as an empty field.
func csvField(v json.RawMessage) string {
	switch {
	case len(v) == 0, string(v) == "null":
		return ""
	case v[0] == '"':
		return unquote(v)
	}
	return string(v)
}

func unquote(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return string(v)
	}
	return s
}

// writeTable prints rows boxed like Flink's SQL client in tableau mode.
func writeTable(w io.Writer, resp *api.SQLResponse) error {
	if len(resp.Rows) == 0 {
		_, err := io.WriteString(w, "Empty set\n")
		return err
	}
	cells := make([][]string, len(resp.Rows))
	widths := make([]int, len(resp.Columns))
	for c, col := range resp.Columns {
		widths[c] = utf8.RuneCountInString(col.Name)
	}
	for r, row := range resp.Rows {
		cells[r] = make([]string, len(resp.Columns))
		for c := range resp.Columns {
			var v json.RawMessage
			if c < len(row) {
				v = row[c]
			}
			cells[r][c] = cell(v)
			widths[c] = max(widths[c], utf8.RuneCountInString(cells[r][c]))
		}
	}
	var b bytes.Buffer
	sep := func() {
		b.WriteByte('+')
		for _, wd := range widths {
			b.WriteString(strings.Repeat("-", wd+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(vals []string) {
		b.WriteByte('|')
		for c, v := range vals {
			// Right-aligned, as Flink's tableau does.
			b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(v)+1))
			b.WriteString(v)
			b.WriteString(" |")
		}
		b.WriteByte('\n')
	}
	names := make([]string, len(resp.Columns))
	for c, col := range resp.Columns {
		names[c] = col.Name
	}
	sep()
	line(names)
	sep()
	for _, row := range cells {
		line(row)
	}
	sep()
	if n := len(resp.Rows); n == 1 {
		b.WriteString("1 row in set\n")
	} else {
		b.WriteString(strconv.Itoa(n) + " rows in set\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeCSV prints rows as RFC 4180 CSV with a header line.
func writeCSV(w io.Writer, resp *api.SQLResponse) error {
	// Records end in \n, not RFC 4180's \r\n: encoding/csv's CRLF mode also
	// rewrites line breaks inside values, which would change the data.
	cw := csv.NewWriter(w)
	rec := make([]string, len(resp.Columns))
	for c, col := range resp.Columns {
		rec[c] = col.Name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for _, row := range resp.Rows {
		for c := range rec {
			rec[c] = ""
			if c < len(row) {
				rec[c] = csvField(row[c])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// printVerify prints a verify report, one check per line with its violations.
func printVerify(w io.Writer, rep *api.VerifyResponse) {
	fmt.Fprintf(w, "table %s: %d snapshots\n", rep.Table, rep.Snapshots)
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range rep.Checks {
		status := "ok  "
		if len(c.Violations) > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-*s  checked %d, %d violations\n", status, width, c.Name, c.Checked, len(c.Violations))
		for _, v := range c.Violations {
			fmt.Fprintf(w, "        - %s\n", v)
		}
	}
	if rep.OK {
		fmt.Fprintln(w, "OK")
	} else {
		fmt.Fprintln(w, "VIOLATIONS FOUND")
	}
}
