// Package kafka is the Kafka connector's source: one topic read with direct
// partition assignment (no consumer group), each partition a split whose
// positions are Kafka offsets, decoded by engine/format into Arrow batches.
//
// Positions are exact. Start resolves every partition's first offset
// (a checkpoint's, or the startup mode's) before reading, and the client is
// told never to reset an offset on its own (kgo.NoResetOffset): an offset
// that is no longer in the log is a fatal error naming the offsets, never a
// silent jump. A partition's batches tile its offsets: each batch starts
// where the previous one ended, so transaction markers and compacted holes
// fall inside the next batch's range.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wharfdata/wharf/engine/connector"
	"github.com/wharfdata/wharf/engine/format"
	"github.com/wharfdata/wharf/internal/errkind"
)

// ErrClosed is returned by Next once Close was called.
var ErrClosed = errors.New("kafka source closed")

const defaultBatchRows = 8192

// Timings; variables so tests can shorten them.
var (
	// probeEvery is how long Next polls without records before it checks
	// the broker and the topic (reachable, same topic ID).
	probeEvery = 5 * time.Second
	// unreachableFor is how long the brokers may fail every probe before
	// Next gives up with a retryable error.
	unreachableFor = time.Minute
)

var _ connector.OpenFunc = Open

// Source reads one Kafka topic; see the package documentation.
type Source struct {
	spec      *connector.TableSpec
	cfg       config
	schema    *arrow.Schema
	batchRows int

	adm     *kadm.Client // metadata and offsets, on its own client
	metaCl  *kgo.Client
	topicID kadm.TopicID

	// closed is done once Close was called; it cancels a blocked poll.
	closed    context.Context
	closeNow  context.CancelFunc
	closeOnce sync.Once

	// mu guards what Next works on, so Close can release it safely.
	mu     sync.Mutex
	cl     *kgo.Client // the consumer, from Start
	rb     *array.RecordBuilder
	dec    format.Decoder
	meta   []metaColumn
	next   map[int32]int64 // per partition: the position after the last batch
	queued map[int32]int64 // per partition: the offset after the last record queued
	// holes says whether offsets may skip on this topic: it is compacted,
	// or its configuration could not be read. Elsewhere only transaction
	// markers leave holes (checked per record), and any other gap means
	// records were lost: the source stops instead of covering it.
	holes   bool
	pending []chunk
	// failingSince is when probes began to fail (zero: the last succeeded).
	failingSince time.Time
	lastProbe    time.Time
}

// chunk is up to batchRows fetched records of one partition.
type chunk struct {
	part int32
	recs []*kgo.Record
}

// Open validates the table's options and columns and reads the topic's
// metadata; it consumes nothing until Start.
func Open(ctx context.Context, spec *connector.TableSpec) (connector.Source, error) {
	cfg, err := parseOptions(spec)
	if err != nil {
		return nil, errkind.Wrap(errkind.Fatal, fmt.Errorf("table %s: %w", spec.Name, err))
	}
	s := &Source{spec: spec, cfg: cfg, schema: spec.Schema(), batchRows: spec.BatchRows}
	s.closed, s.closeNow = context.WithCancel(context.Background())
	if s.batchRows <= 0 {
		s.batchRows = defaultBatchRows
	}
	alloc := spec.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	s.rb = array.NewRecordBuilder(alloc, s.schema)
	var phys []connector.Column
	var physB []array.Builder
	for i, c := range spec.Columns {
		if c.MetadataKey == "" {
			phys, physB = append(phys, c), append(physB, s.rb.Field(i))
			continue
		}
		if err := checkMetadata(c); err != nil {
			s.rb.Release()
			return nil, errkind.Wrap(errkind.Fatal, fmt.Errorf("table %s: %w", spec.Name, err))
		}
		s.meta = append(s.meta, newMetaColumn(c, s.rb.Field(i)))
	}
	if s.dec, err = format.New(cfg.format, phys, physB, cfg.formatOpts); err != nil {
		s.rb.Release()
		return nil, errkind.Wrap(errkind.Fatal, fmt.Errorf("table %s: %w", spec.Name, err))
	}
	if s.metaCl, err = kgo.NewClient(s.clientOpts()...); err != nil {
		s.rb.Release()
		return nil, errkind.Wrap(errkind.Fatal, fmt.Errorf("table %s: kafka client: %w", spec.Name, err))
	}
	s.adm = kadm.NewClient(s.metaCl)
	tm, err := s.topic(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.topicID = tm.id
	return s, nil
}

func (s *Source) clientOpts() []kgo.Opt {
	return []kgo.Opt{kgo.SeedBrokers(s.cfg.brokers...), kgo.ClientID(s.cfg.clientID)}
}

// where names the stream in messages.
func (s *Source) where() string {
	return fmt.Sprintf("topic %s on %s", s.cfg.topic, strings.Join(s.cfg.brokers, ","))
}

// topicMeta is what the source needs of the topic's metadata.
type topicMeta struct {
	id    kadm.TopicID
	parts []int32 // ascending
}

// topic reads the topic's metadata within a bounded time: an unreachable
// broker is retryable, a missing topic fatal. It asks a broker every time
// (kadm's ListTopics may answer from a cache up to MetadataMinAge old, which
// would hide a topic recreated a moment ago).
func (s *Source) topic(ctx context.Context) (topicMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, probeEvery)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(s.cfg.topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, s.metaCl)
	if err != nil {
		return topicMeta{}, errkind.Errorf(errkind.Retryable, "%s: reading metadata: %w", s.where(), err)
	}
	if len(resp.Topics) != 1 {
		return topicMeta{}, errkind.Errorf(errkind.Retryable, "%s: metadata answered %d topics", s.where(), len(resp.Topics))
	}
	t := resp.Topics[0]
	err = kerr.ErrorForCode(t.ErrorCode)
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition) || err == nil && len(t.Partitions) == 0:
		return topicMeta{}, errkind.Errorf(errkind.Fatal, "%s does not exist (create it, or produce to it where topics are auto-created)", s.where())
	case err != nil && kerr.IsRetriable(err):
		return topicMeta{}, errkind.Errorf(errkind.Retryable, "%s: %w", s.where(), err)
	case err != nil:
		return topicMeta{}, errkind.Errorf(errkind.Fatal, "%s: %w", s.where(), err)
	}
	m := topicMeta{id: t.TopicID}
	for _, p := range t.Partitions {
		m.parts = append(m.parts, p.Partition)
	}
	slices.Sort(m.parts)
	return m, nil
}

func (s *Source) Schema() *arrow.Schema { return s.schema }

// Splits lists the topic's partitions, ascending.
func (s *Source) Splits(ctx context.Context) ([]int32, error) {
	tm, err := s.topic(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.sameTopic(tm.id); err != nil {
		return nil, err
	}
	return tm.parts, nil
}

// sameTopic fails when the topic was deleted and created again since Open:
// its offsets name other records now.
func (s *Source) sameTopic(id kadm.TopicID) error {
	if id != s.topicID {
		return errkind.Errorf(errkind.Fatal, "%s was deleted and recreated (topic ID %s, now %s): the offsets wharf holds belong to the old topic", s.where(), s.topicID, id)
	}
	return nil
}

// Start resolves each partition's first offset and starts fetching.
func (s *Source) Start(ctx context.Context, from map[int32]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl != nil {
		return errors.New("BUG: kafka source started twice")
	}
	parts, err := s.Splits(ctx)
	if err != nil {
		return err
	}
	for p, off := range from {
		if !slices.Contains(parts, p) {
			return errkind.Errorf(errkind.Fatal, "%s: the checkpoint has partition %d, the topic has partitions 0..%d", s.where(), p, len(parts)-1)
		}
		if off < 0 {
			return errkind.Errorf(errkind.Fatal, "%s partition %d: checkpoint offset %d is negative", s.where(), p, off)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, probeEvery)
	defer cancel()
	starts, err := s.adm.ListStartOffsets(lctx, s.cfg.topic)
	if err != nil {
		return errkind.Errorf(errkind.Retryable, "%s: listing start offsets: %w", s.where(), err)
	}
	ends, err := s.adm.ListEndOffsets(lctx, s.cfg.topic)
	if err != nil {
		return errkind.Errorf(errkind.Retryable, "%s: listing end offsets: %w", s.where(), err)
	}
	var initial kadm.ListedOffsets
	switch s.cfg.startup {
	case startEarliest:
		initial = starts
	case startLatest:
		initial = ends
	case startTimestamp:
		if initial, err = s.adm.ListOffsetsAfterMilli(lctx, s.cfg.startMilli, s.cfg.topic); err != nil {
			return errkind.Errorf(errkind.Retryable, "%s: listing offsets after %d ms: %w", s.where(), s.cfg.startMilli, err)
		}
	}
	s.holes = s.compacted(lctx)
	s.next = make(map[int32]int64, len(parts))
	s.queued = make(map[int32]int64, len(parts))
	offsets := make(map[int32]kgo.Offset, len(parts))
	for _, p := range parts {
		lo, okLo := starts.Lookup(s.cfg.topic, p)
		hi, okHi := ends.Lookup(s.cfg.topic, p)
		if !okLo || !okHi || lo.Err != nil || hi.Err != nil {
			return errkind.Errorf(errkind.Retryable, "%s partition %d: offsets not listed: %v", s.where(), p, errors.Join(lo.Err, hi.Err))
		}
		off, ok := from[p]
		if ok {
			if off < lo.Offset || off > hi.Offset {
				return errkind.Errorf(errkind.Fatal, "%s partition %d: checkpoint offset %d is out of range: the log holds offsets %d to %d (records were deleted or the topic was recreated before wharf read them)",
					s.where(), p, off, lo.Offset, hi.Offset)
			}
		} else {
			lo, ok := initial.Lookup(s.cfg.topic, p)
			if !ok || lo.Err != nil || lo.Offset < 0 {
				return errkind.Errorf(errkind.Retryable, "%s partition %d: no %s offset listed: %v", s.where(), p, s.cfg.startup, lo.Err)
			}
			off = lo.Offset
		}
		s.next[p], s.queued[p] = off, off
		offsets[p] = kgo.NewOffset().At(off)
	}
	opts := append(s.clientOpts(), s.cfg.fetchOpts...)
	opts = append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.cfg.topic: offsets}),
		// Never move an offset on our own: out of range must surface.
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return errkind.Errorf(errkind.Fatal, "%s: kafka client: %w", s.where(), err)
	}
	s.cl = cl
	s.lastProbe = time.Now()
	return nil
}

// Next returns the next batch of one partition.
func (s *Source) Next(ctx context.Context) (connector.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl == nil {
		return connector.Batch{}, errors.New("BUG: kafka source Next before Start")
	}
	for len(s.pending) == 0 {
		if err := s.poll(ctx); err != nil {
			return connector.Batch{}, err
		}
	}
	return s.decode(), nil
}

// poll waits for records (up to probeEvery), queues them as chunks, and
// turns fetch errors into classified ones. It unlocks mu while waiting so a
// concurrent Close can proceed.
func (s *Source) poll(ctx context.Context) error {
	if s.isClosed() {
		return ErrClosed
	}
	pctx, cancel := context.WithTimeout(ctx, probeEvery)
	stop := context.AfterFunc(s.closed, cancel)
	s.mu.Unlock()
	fs := s.cl.PollFetches(pctx)
	s.mu.Lock()
	stop()
	cancel()
	if s.isClosed() {
		return ErrClosed
	}
	// Whatever the poll returned is queued even if ctx has ended meanwhile:
	// franz-go has moved past those records and will not fetch them again.
	got := false
	var err error
	fs.EachTopic(func(ft kgo.FetchTopic) {
		if err == nil && ft.TopicID != [16]byte{} && ft.TopicID != s.topicID {
			err = s.sameTopic(ft.TopicID)
		}
		for _, fp := range ft.Partitions {
			if err == nil {
				var queued bool
				queued, err = s.queue(ctx, fp)
				got = got || queued
			}
		}
	})
	if err != nil {
		return err
	}
	if got {
		s.failingSince = time.Time{}
		s.lastProbe = time.Now()
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if time.Since(s.lastProbe) >= probeEvery {
		return s.probe(ctx)
	}
	return nil
}

// queue cuts a fetched partition into chunks of at most batchRows records.
func (s *Source) queue(ctx context.Context, fp kgo.FetchPartition) (bool, error) {
	if fp.Err != nil {
		return false, s.fetchError(ctx, fp)
	}
	if len(fp.Records) == 0 {
		return false, nil
	}
	if first := fp.Records[0].Offset; first < s.queued[fp.Partition] {
		return false, errkind.Errorf(errkind.Fatal, "%s partition %d: fetched offset %d, below the next expected %d", s.where(), fp.Partition, first, s.queued[fp.Partition])
	}
	want := s.queued[fp.Partition]
	for i, r := range fp.Records {
		// A transaction's commit or abort marker takes an offset that is
		// never delivered; so does an aborted record under read_committed.
		txn := r.Attrs.IsTransactional() || (i > 0 && fp.Records[i-1].Attrs.IsTransactional())
		if r.Offset != want && !s.holes && !txn {
			return false, errkind.Errorf(errkind.Fatal, "%s partition %d: offsets %d to %d are missing from what the broker returned (the topic is not compacted and the records are not transactional): records were lost before wharf read them; nothing was skipped",
				s.where(), fp.Partition, want, r.Offset-1)
		}
		want = r.Offset + 1
	}
	s.queued[fp.Partition] = want
	for recs := fp.Records; len(recs) > 0; {
		n := min(len(recs), s.batchRows)
		s.pending = append(s.pending, chunk{part: fp.Partition, recs: recs[:n]})
		recs = recs[n:]
	}
	return true, nil
}

// fetchError classifies one partition's fetch error; nil means the poll
// merely timed out.
func (s *Source) fetchError(ctx context.Context, fp kgo.FetchPartition) error {
	err := fp.Err
	var loss *kgo.ErrDataLoss
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, kgo.ErrClientClosed):
		return ErrClosed
	case errors.Is(err, kerr.OffsetOutOfRange):
		return errkind.Errorf(errkind.Fatal, "%s partition %d: offset %d is out of range%s (records were deleted before wharf read them; nothing was skipped)",
			s.where(), fp.Partition, s.next[fp.Partition], s.logRange(ctx, fp.Partition))
	case errors.As(err, &loss):
		return errkind.Errorf(errkind.Fatal, "%s partition %d: the broker lost records after offset %d (%v)", s.where(), fp.Partition, s.next[fp.Partition], err)
	case errors.Is(err, kerr.UnknownTopicID), errors.Is(err, kerr.UnknownTopicOrPartition):
		if perr := s.probe(ctx); perr != nil && !errkind.IsRetryable(perr) {
			return perr
		}
		return errkind.Errorf(errkind.Fatal, "%s partition %d at offset %d: %v", s.where(), fp.Partition, s.next[fp.Partition], err)
	case kerr.IsRetriable(err):
		return nil // franz-go retries these itself; the probe bounds how long
	}
	return errkind.Errorf(errkind.Fatal, "%s partition %d at offset %d: %w", s.where(), fp.Partition, s.next[fp.Partition], err)
}

// logRange describes a partition's current offsets for a message.
func (s *Source) logRange(ctx context.Context, p int32) string {
	ctx, cancel := context.WithTimeout(ctx, probeEvery)
	defer cancel()
	starts, err1 := s.adm.ListStartOffsets(ctx, s.cfg.topic)
	ends, err2 := s.adm.ListEndOffsets(ctx, s.cfg.topic)
	lo, ok1 := starts.Lookup(s.cfg.topic, p)
	hi, ok2 := ends.Lookup(s.cfg.topic, p)
	if err1 != nil || err2 != nil || !ok1 || !ok2 || lo.Err != nil || hi.Err != nil {
		return ""
	}
	return fmt.Sprintf(": the log now holds offsets %d to %d", lo.Offset, hi.Offset)
}

// probe checks that the brokers answer and the topic is the one opened.
// Failing for longer than unreachableFor is a retryable error.
func (s *Source) probe(ctx context.Context) error {
	s.lastProbe = time.Now()
	tm, err := s.topic(ctx)
	if err == nil {
		err = s.sameTopic(tm.id)
	}
	if err == nil {
		s.failingSince = time.Time{}
		return nil
	}
	if !errkind.IsRetryable(err) {
		return err
	}
	if s.failingSince.IsZero() {
		s.failingSince = time.Now()
	}
	if d := time.Since(s.failingSince); d >= unreachableFor {
		return errkind.Errorf(errkind.Retryable, "kafka unreachable for %s: %w", d.Round(time.Second), err)
	}
	return nil
}

// decode turns the first pending chunk into a batch.
func (s *Source) decode() connector.Batch {
	c := s.pending[0]
	s.pending = s.pending[1:]
	b := connector.Batch{Split: c.part, From: s.next[c.part], To: c.recs[len(c.recs)-1].Offset + 1, Pos: make([]int64, 0, len(c.recs))}
	s.rb.Reserve(len(c.recs)) // the builders start empty after each batch
	for _, r := range c.recs {
		err := s.dec.Decode(r.Value)
		switch {
		case err == nil:
			for i := range s.meta {
				s.meta[i].append(r)
			}
			b.Pos = append(b.Pos, r.Offset) // offsets skip transaction markers
		case errors.Is(err, format.ErrSkipped):
		default:
			b.Bad = append(b.Bad, connector.BadRecord{
				Topic: r.Topic, Split: r.Partition, Position: r.Offset,
				Timestamp: r.Timestamp.UnixMilli(), Err: err.Error(), Raw: r.Value,
			})
		}
	}
	s.next[c.part] = b.To
	b.Rows = s.rb.NewRecordBatch()
	return b
}

// Ignored reports the records and fields the format's ignore-parse-errors
// made disappear (and tombstones), for the job's metrics.
func (s *Source) Ignored() format.Ignored {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dec.Ignored()
}

func (s *Source) isClosed() bool { return s.closed.Err() != nil }

// Close stops fetching and releases the clients and buffers; a blocked Next
// returns ErrClosed.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		s.closeNow()
		if s.metaCl != nil {
			s.metaCl.Close()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cl != nil {
			s.cl.Close()
		}
		s.pending = nil
		s.rb.Release()
	})
	return nil
}

// compacted says whether the topic's cleanup.policy compacts (offsets may
// skip); a configuration that cannot be read counts as compacted, so the
// gap check never stops a healthy job.
func (s *Source) compacted(ctx context.Context) bool {
	rcs, err := s.adm.DescribeTopicConfigs(ctx, s.cfg.topic)
	if err != nil {
		return true
	}
	rc, err := rcs.On(s.cfg.topic, nil)
	if err != nil || rc.Err != nil {
		return true
	}
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil {
			return strings.Contains(*c.Value, "compact")
		}
	}
	return false
}
