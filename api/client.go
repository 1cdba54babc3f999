package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wharfdata/wharf/engine/runtime"
)

// Client calls a wharf server's HTTP API; the command line uses it.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client for the server at baseURL (e.g.
// http://127.0.0.1:8080). token is sent as a bearer token when not empty; hc
// nil means http.DefaultClient.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

// Error is an error answer from the server.
type Error struct {
	Status int
	ErrorDetail
}

func (e *Error) Error() string {
	if e.Position != nil {
		return fmt.Sprintf("%s: %s (line %d, column %d)", e.Code, e.Message, e.Position.Line, e.Position.Column)
	}
	return e.Code + ": " + e.Message
}

// SQL runs one statement. It returns the response body as sent (for
// printing it unchanged) and decoded.
func (c *Client) SQL(ctx context.Context, sql string) ([]byte, *SQLResponse, error) {
	body, err := json.Marshal(SQLRequest{SQL: sql})
	if err != nil {
		return nil, nil, err
	}
	raw, err := c.do(ctx, http.MethodPost, "/v1/sql", body)
	if err != nil {
		return nil, nil, err
	}
	var resp SQLResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, nil, fmt.Errorf("decoding the server's answer: %w", err)
	}
	return raw, &resp, nil
}

// Verify checks a table's invariants.
func (c *Client) Verify(ctx context.Context, namespace, table string) (*VerifyResponse, error) {
	raw, err := c.do(ctx, http.MethodPost, "/v1/tables/"+url.PathEscape(namespace)+"/"+url.PathEscape(table)+"/verify", nil)
	if err != nil {
		return nil, err
	}
	var resp VerifyResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("decoding the server's answer: %w", err)
	}
	if resp.VerifyReport == nil {
		return nil, fmt.Errorf("the server's answer has no report")
	}
	return &resp, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the server's answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return raw, nil
	}
	var eb ErrorBody
	if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
		return nil, &Error{Status: resp.StatusCode, ErrorDetail: eb.Error}
	}
	// Not wharf's answer (a proxy's, say): show the start of it.
	msg := strings.TrimSpace(string(raw))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return nil, &Error{Status: resp.StatusCode, ErrorDetail: ErrorDetail{Code: fmt.Sprintf("HTTP_%d", resp.StatusCode), Message: msg}}
}

// Jobs lists the server's continuous jobs.
func (c *Client) Jobs(ctx context.Context) ([]runtime.Status, error) {
	raw, err := c.do(ctx, http.MethodGet, "/v1/jobs", nil)
	if err != nil {
		return nil, err
	}
	var list JobList
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("decoding the server's answer: %w", err)
	}
	return list.Jobs, nil
}

// Job acts on one job: action is "" (status), "stop" or "resume".
func (c *Client) Job(ctx context.Context, id, action string) (*runtime.Status, error) {
	method, path := http.MethodGet, "/v1/jobs/"+url.PathEscape(id)
	if action != "" {
		method, path = http.MethodPost, path+"/"+action
	}
	raw, err := c.do(ctx, method, path, nil)
	if err != nil {
		return nil, err
	}
	var st runtime.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decoding the server's answer: %w", err)
	}
	return &st, nil
}

// Lineage returns a table's indexed snapshots, oldest first.
func (c *Client) Lineage(ctx context.Context, namespace, table string) (*LineageResponse, error) {
	raw, err := c.do(ctx, http.MethodGet, "/v1/lineage/"+url.PathEscape(namespace)+"/"+url.PathEscape(table), nil)
	if err != nil {
		return nil, err
	}
	var resp LineageResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("decoding the server's answer: %w", err)
	}
	return &resp, nil
}
