package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfdata/wharf/api"
	"github.com/wharfdata/wharf/engine/session"
	"github.com/wharfdata/wharf/engine/sql"
)

// defaultServer is where clients go when neither --server nor
// ./wharf-data/addresses.json says otherwise.
const defaultServer = "http://127.0.0.1:8080"

type clientFlags struct {
	server, token string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.server, "server", "", "server `URL` (default: the http address in ./wharf-data/addresses.json, else "+defaultServer+")")
	fs.StringVar(&c.token, "token", "", "API bearer token (default $WHARF_TOKEN)")
}

// client resolves the server and token defaults.
func (c *clientFlags) client(std stdio) *api.Client {
	tok := c.token
	if tok == "" {
		tok = std.getenv("WHARF_TOKEN")
	}
	return api.NewClient(resolveServer(c.server, filepath.Join("wharf-data", "addresses.json")), tok, nil)
}

// resolveServer returns the server URL: the flag, else the http address a
// local `wharf serve` wrote to addrFile, else the default.
func resolveServer(flagVal, addrFile string) string {
	if flagVal != "" {
		if !strings.Contains(flagVal, "://") {
			return "http://" + flagVal
		}
		return flagVal
	}
	data, err := os.ReadFile(addrFile)
	if err != nil {
		return defaultServer
	}
	var addrs struct {
		HTTP string `json:"http"`
	}
	if json.Unmarshal(data, &addrs) != nil || addrs.HTTP == "" {
		return defaultServer
	}
	if host, port, err := net.SplitHostPort(addrs.HTTP); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addrs.HTTP = net.JoinHostPort("127.0.0.1", port) // a wildcard listener is reachable on loopback
	}
	return "http://" + addrs.HTTP
}

type sqlArgs struct {
	clientFlags
	format string
	file   string
	text   string // the statement argument
}

func parseSQLArgs(args []string, std stdio) (*sqlArgs, error) {
	var a sqlArgs
	fs := flag.NewFlagSet("wharf sql", flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	a.register(fs)
	fs.StringVar(&a.format, "format", "table", "output `format`: table, json or csv")
	fs.StringVar(&a.file, "f", "", "run the statements in `file` (- for standard input)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: wharf sql [flags] "STATEMENT[; STATEMENT…]"  or  wharf sql [flags] -f FILE`)
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	switch a.format {
	case "table", "json", "csv":
	default:
		fmt.Fprintf(std.stderr, "wharf sql: unknown --format %q (want table, json or csv)\n", a.format)
		return nil, errUsage
	}
	switch {
	case a.file != "" && len(pos) > 0:
		fmt.Fprintln(std.stderr, "wharf sql: give either a statement or -f FILE, not both")
		return nil, errUsage
	case a.file == "" && len(pos) != 1:
		fs.Usage()
		return nil, errUsage
	case a.file == "":
		a.text = pos[0]
	}
	return &a, nil
}

func runSQL(ctx context.Context, args []string, std stdio) error {
	a, err := parseSQLArgs(args, std)
	if err != nil {
		return err
	}
	text, source := a.text, ""
	if a.file != "" {
		text, source, err = readSQLFile(a.file)
		if err != nil {
			return err
		}
	}
	stmts, err := sql.SplitStatements(text)
	if err != nil {
		return fmt.Errorf("%s%w", prefix(source), err)
	}
	c := a.client(std)
	from := 0
	for _, stmt := range stmts {
		// Statements are pieces of text; find this one to turn the server's
		// statement-relative positions into positions in the input.
		off := from + strings.Index(text[from:], stmt)
		from = off + len(stmt)
		raw, resp, err := c.SQL(ctx, stmt)
		if err != nil {
			fmt.Fprintln(std.stderr, describeError(err, source, text, off))
			return errReported
		}
		if err := printResult(std, a.format, raw, resp); err != nil {
			return err
		}
	}
	return nil
}

func readSQLFile(name string) (text, source string, err error) {
	var data []byte
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
		name = "<stdin>"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return "", "", err
	}
	return string(data), name, nil
}

func prefix(source string) string {
	if source == "" {
		return ""
	}
	return source + ": "
}

// describeError renders an error from the server; a statement position is
// shifted to where the statement starts in the input (at byte off of text).
func describeError(err error, source, text string, off int) string {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return "[ERROR] " + prefix(source) + err.Error()
	}
	if ae.Position == nil {
		return fmt.Sprintf("[ERROR] %s%s: %s", prefix(source), ae.Code, ae.Message)
	}
	p := inputPos(text, off, *ae.Position)
	return fmt.Sprintf("[ERROR] %sline %d, column %d: %s: %s", prefix(source), p.Line, p.Column, ae.Code, ae.Message)
}

// inputPos converts a position within the statement starting at byte off of
// text into a position within text.
func inputPos(text string, off int, p session.Pos) session.Pos {
	before := text[:off]
	line := strings.Count(before, "\n")
	out := session.Pos{Line: p.Line + line, Column: p.Column, Offset: p.Offset + off}
	if p.Line == 1 {
		out.Column += off - (strings.LastIndexByte(before, '\n') + 1)
	}
	return out
}

func runVerify(ctx context.Context, args []string, std stdio) error {
	c, ns, tbl, err := tableCommand("verify", args, std)
	if err != nil {
		return err
	}
	rep, err := c.Verify(ctx, ns, tbl)
	if err != nil {
		fmt.Fprintln(std.stderr, describeError(err, "", "", 0))
		return errReported
	}
	printVerify(std.stdout, rep)
	if !rep.OK {
		return errReported
	}
	return nil
}

// tableCommand parses `wharf NAME [flags] NAMESPACE.TABLE`: the client the
// flags configure and the table named.
func tableCommand(name string, args []string, std stdio) (c *api.Client, ns, table string, err error) {
	var cf clientFlags
	fs := flag.NewFlagSet("wharf "+name, flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: wharf %s [flags] NAMESPACE.TABLE\n", name)
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, "", "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return nil, "", "", errUsage
	}
	dot := strings.LastIndexByte(pos[0], '.')
	if dot <= 0 || dot == len(pos[0])-1 {
		fmt.Fprintf(std.stderr, "wharf %s: %q is not NAMESPACE.TABLE\n", name, pos[0])
		return nil, "", "", errUsage
	}
	return cf.client(std), pos[0][:dot], pos[0][dot+1:], nil
}
