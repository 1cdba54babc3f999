package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "CANARY-s3cr3t/+=xyz"

func init() { Register(canary) }

func TestRegisterIgnoresShort(t *testing.T) {
	Register("abc")
	if got := String("abcdef"); got != "abcdef" {
		t.Fatalf("short secret masked: %q", got)
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nothing here", "nothing here"},
		{"key=" + canary, "key=" + Mask},
		{canary + canary, Mask + Mask},
		{"escaped=CANARY-s3cr3t%2F%2B%3Dxyz", "escaped=" + Mask},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStringLongestFirst(t *testing.T) {
	Register("overlap-secret")
	Register("overlap-secret-longer")
	if got := String("x overlap-secret-longer y"); got != "x "+Mask+" y" {
		t.Fatalf("got %q", got)
	}
}

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://alice:hunter22@db:5432/cat?sslmode=disable", "postgres://alice:REDACTED@db:5432/cat?sslmode=disable"},
		{"postgres://alice@db/cat", "postgres://alice@db/cat"},
		{"https://s3/b/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abcd&x-id=GetObject",
			"https://s3/b/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&x-id=GetObject"},
		{"postgres://h/db?password=pw1234&sslkey=/k.pem&application_name=w",
			"postgres://h/db?password=REDACTED&sslkey=REDACTED&application_name=w"},
		{"http://rest:8181/catalog?token=tok12345", "http://rest:8181/catalog?token=REDACTED"},
		{"host=db user=a password='p w' dbname=c", "host=db user=a password=" + Mask + " dbname=c"},
		{"sqlite:///data/catalog.db", "sqlite:///data/catalog.db"},
		{"http://h/?q=" + canary, "http://h/?q=" + Mask},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) =\n %q, want\n %q", tt.in, got, tt.want)
		}
	}
}

type creds struct{ Key, Secret string }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil)))
	log = log.With("ctx", "with "+canary).WithGroup("g")
	log.Info("message "+canary,
		"s", canary,
		"err", fmt.Errorf("open: %w", errors.New(canary)),
		"any", creds{"k", canary},
		"password", "not-registered-pw",
		slog.Group("grp", "inner", canary),
		"n", 42,
	)
	out := buf.String()
	for _, leak := range []string{canary, "not-registered-pw"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "n=42") || strings.Count(out, Mask) < 7 {
		t.Fatalf("unexpected log line: %s", out)
	}
}

func TestIsCredentialKey(t *testing.T) {
	for k, want := range map[string]bool{
		"s3.secret-access-key": true, "s3.access-key-id": true, "X-Amz-Security-Token": true,
		"client.password": true, "write.format.default": false, "owner": false,
	} {
		if got := IsCredentialKey(k); got != want {
			t.Errorf("IsCredentialKey(%q) = %v", k, got)
		}
	}
}
