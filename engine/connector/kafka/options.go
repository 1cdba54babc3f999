package kafka

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/format"
)

// Startup modes of 'scan.startup.mode' that wharf runs.
const (
	startEarliest  = "earliest-offset"
	startLatest    = "latest-offset"
	startTimestamp = "timestamp"
)

// config is the validated WITH options of a Kafka table.
type config struct {
	topic      string
	brokers    []string
	clientID   string
	fetchOpts  []kgo.Opt // from properties.*: how the consumer fetches
	format     string
	formatOpts map[string]string // with the '<format>.' prefix
	startup    string
	startMilli int64
}

// unsupported are Flink options wharf knows but does not run yet, with why.
var unsupported = map[string]string{
	"topic-pattern":                           "reading topics by pattern is not supported yet; name one topic in 'topic'",
	"key.format":                              "decoding the message key into columns is not supported yet; read it as bytes with a `METADATA FROM 'key'` column",
	"key.fields":                              "decoding the message key into columns is not supported yet; read it as bytes with a `METADATA FROM 'key'` column",
	"key.fields-prefix":                       "decoding the message key into columns is not supported yet",
	"scan.startup.specific-offsets":           "wharf keeps source positions in its own checkpoints and resumes from them; choose 'earliest-offset', 'latest-offset' or 'timestamp' for the first start",
	"scan.bounded.mode":                       "bounded Kafka reads are not supported yet",
	"scan.topic-partition-discovery.interval": "partitions added while a job runs are not picked up yet; the job sees the partitions that exist when it starts",
	"sink.partitioner":                        "the Kafka table is read-only in wharf for now",
}

// ignoredProperties are consumer-group settings Flink users often carry
// over. wharf reads with direct partition assignment and commits no group
// offsets (positions live in its checkpoints; the first start follows
// 'scan.startup.mode'), so they have nothing to act on and are accepted as
// no-ops. Every other unknown property is an error: silently dropping one
// such as security.protocol would connect in a way the user did not ask for.
var ignoredProperties = []string{"group.id", "enable.auto.commit", "auto.commit.interval.ms", "auto.offset.reset", "partition.discovery.interval.ms"}

// mappedProperties are the Kafka consumer properties wharf maps to franz-go.
var mappedProperties = []string{"bootstrap.servers", "client.id", "fetch.max.bytes", "max.partition.fetch.bytes", "fetch.min.bytes", "fetch.max.wait.ms", "isolation.level"}

func parseOptions(spec *connector.TableSpec) (config, error) {
	c := config{clientID: "wharf", startup: startEarliest}
	o := spec.Options
	for k, v := range o {
		if why, ok := unsupported[k]; ok {
			return c, fmt.Errorf("option '%s': %s", k, why)
		}
		if prop, ok := strings.CutPrefix(k, "properties."); ok {
			if err := c.property(prop, v); err != nil {
				return c, err
			}
		}
	}

	c.topic = strings.TrimSpace(o["topic"])
	switch {
	case c.topic == "":
		return c, fmt.Errorf("option 'topic' is required")
	case strings.Contains(c.topic, ";"):
		return c, fmt.Errorf("option 'topic' = '%s': reading several topics is not supported yet; name one topic", c.topic)
	}
	if len(c.brokers) == 0 {
		if spec.DefaultBrokers == "" {
			return c, fmt.Errorf("option 'properties.bootstrap.servers' is required (the server has no default broker)")
		}
		c.brokers = splitList(spec.DefaultBrokers)
	}

	if err := c.parseStartup(o); err != nil {
		return c, err
	}
	if err := c.parseFormat(o); err != nil {
		return c, err
	}
	if v, ok := o["value.fields-include"]; ok && !strings.EqualFold(v, "ALL") {
		return c, fmt.Errorf("option 'value.fields-include' = '%s': only ALL is supported (no key format)", v)
	}

	for k := range o {
		if !c.known(k) {
			return c, fmt.Errorf("unknown option '%s' for the kafka connector", k)
		}
	}
	return c, nil
}

// known reports whether key is an option this table uses.
func (c *config) known(k string) bool {
	switch k {
	case "connector", "topic", "format", "value.format", "value.fields-include", "scan.startup.mode", "scan.startup.timestamp-millis":
		return true
	}
	if strings.HasPrefix(k, "properties.") {
		return true // checked by property
	}
	_, ok := c.formatOpts[strings.TrimPrefix(k, "value.")]
	return ok
}

func (c *config) property(p, v string) error {
	bytesOpt := func(f func(int32) kgo.ConsumerOpt) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n <= 0 {
			return fmt.Errorf("option 'properties.%s' = '%s': want a positive number of bytes", p, v)
		}
		c.fetchOpts = append(c.fetchOpts, f(int32(n)))
		return nil
	}
	switch p {
	case "bootstrap.servers":
		c.brokers = splitList(v)
		if len(c.brokers) == 0 {
			return fmt.Errorf("option 'properties.bootstrap.servers' is empty")
		}
	case "client.id":
		c.clientID = v
	case "fetch.max.bytes":
		return bytesOpt(kgo.FetchMaxBytes)
	case "max.partition.fetch.bytes":
		return bytesOpt(kgo.FetchMaxPartitionBytes)
	case "fetch.min.bytes":
		return bytesOpt(kgo.FetchMinBytes)
	case "fetch.max.wait.ms":
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms < 0 {
			return fmt.Errorf("option 'properties.fetch.max.wait.ms' = '%s': want milliseconds", v)
		}
		c.fetchOpts = append(c.fetchOpts, kgo.FetchMaxWait(time.Duration(ms)*time.Millisecond))
	case "isolation.level":
		switch v {
		case "read_committed":
			c.fetchOpts = append(c.fetchOpts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		case "read_uncommitted":
			c.fetchOpts = append(c.fetchOpts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
		default:
			return fmt.Errorf("option 'properties.isolation.level' = '%s': want read_committed or read_uncommitted", v)
		}
	default:
		if !slices.Contains(ignoredProperties, p) {
			return fmt.Errorf("option 'properties.%s' is not supported (wharf maps %s; and accepts %s, which do nothing without consumer groups)",
				p, strings.Join(mappedProperties, ", "), strings.Join(ignoredProperties, ", "))
		}
	}
	return nil
}

func (c *config) parseStartup(o map[string]string) error {
	if v, ok := o["scan.startup.mode"]; ok {
		c.startup = v
	}
	switch c.startup {
	case startEarliest, startLatest:
	case startTimestamp:
		v, ok := o["scan.startup.timestamp-millis"]
		if !ok {
			return fmt.Errorf("option 'scan.startup.timestamp-millis' is required when 'scan.startup.mode' is 'timestamp'")
		}
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms < 0 {
			return fmt.Errorf("option 'scan.startup.timestamp-millis' = '%s': want milliseconds since the epoch", v)
		}
		c.startMilli = ms
	case "group-offsets", "specific-offsets":
		return fmt.Errorf("option 'scan.startup.mode' = '%s' is not supported: wharf keeps each partition's position in its own checkpoints (committed with the table) and resumes a job from them; for the first start choose 'earliest-offset', 'latest-offset' or 'timestamp'", c.startup)
	default:
		return fmt.Errorf("option 'scan.startup.mode' = '%s': want earliest-offset, latest-offset or timestamp", c.startup)
	}
	if _, ok := o["scan.startup.timestamp-millis"]; ok && c.startup != startTimestamp {
		return fmt.Errorf("option 'scan.startup.timestamp-millis' needs 'scan.startup.mode' = 'timestamp'")
	}
	return nil
}

// parseFormat picks 'format' or 'value.format' and collects the format's
// own options, stripping 'value.' so the format sees 'json.…'.
func (c *config) parseFormat(o map[string]string) error {
	f, hasF := o["format"]
	vf, hasVF := o["value.format"]
	switch {
	case hasF && hasVF:
		return fmt.Errorf("options 'format' and 'value.format' are both set; use one")
	case hasVF:
		f = vf
	case !hasF:
		return fmt.Errorf("option 'format' is required (one of %s)", strings.Join(format.Names, ", "))
	}
	c.format = f
	prefix := f + "."
	if hasVF {
		prefix = "value." + prefix
	}
	c.formatOpts = map[string]string{}
	for k, v := range o {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			c.formatOpts[f+"."+rest] = v
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
