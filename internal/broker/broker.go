// Package broker is the embedded Kafka-protocol broker of `wharf serve`: one
// in-memory kfake broker on a chosen address, creating topics on first use
// the way a default Kafka does (auto.create.topics.enable, num.partitions).
package broker

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running embedded broker.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

type config struct {
	partitions int
	log        *slog.Logger
}

// Option configures Start.
type Option func(*config)

// WithPartitions sets how many partitions auto-created topics get (Kafka's
// num.partitions; default 1).
func WithPartitions(n int) Option { return func(c *config) { c.partitions = n } }

// WithLogger routes the broker's warnings and errors to l.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Start listens on addr (host:port; port 0 picks a free one) and serves
// the Kafka protocol from memory: nothing survives Close.
//
// Clients are told to reconnect to the listener's own address, so a wildcard
// host (0.0.0.0) is not reachable through metadata; give a concrete address.
func Start(addr string, opts ...Option) (*Broker, error) {
	cfg := config{partitions: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.partitions < 1 {
		return nil, fmt.Errorf("broker: %d partitions per topic; want at least 1", cfg.partitions)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("broker address %q: %w", addr, err)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.partitions),
		// kfake always asks for 127.0.0.1:<port>; listen where we were told.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, addr) }),
	}
	if cfg.log != nil {
		kopts = append(kopts, kfake.WithLogger(slogLogger{cfg.log}))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("broker on %s: %w", addr, err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		c.Close()
		return nil, fmt.Errorf("BUG: embedded broker listens on %d addresses", len(addrs))
	}
	return &Broker{c: c, addr: addrs[0]}, nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and drops its data. It is idempotent.
func (b *Broker) Close() { b.c.Close() }

// slogLogger passes kfake's warnings and errors to slog; its info and debug
// lines describe every request and are too chatty for a server log.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		s.l.Error("kafka broker: " + fmt.Sprintf(format, args...))
	case kfake.LogLevelWarn:
		s.l.Warn("kafka broker: " + fmt.Sprintf(format, args...))
	}
}
