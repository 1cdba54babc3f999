package olap

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharfdata/wharf/lake"
)

// metrics are the Gate's Prometheus series, children resolved once so the
// per-statement path does no label lookups.
type metrics struct {
	lanes [2]*laneMetrics

	resultHits, resultMisses, resultEvictions prometheus.Counter
	preparedHits, preparedMisses              prometheus.Counter
	duration                                  *prometheus.HistogramVec
	hitDuration                               [2]prometheus.Observer // duration's children for result cache hits, by lane
}

type laneMetrics struct {
	admitted, rejectedFull, rejectedWait, cancelled prometheus.Counter
	queued, running                                 prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, rc func() *resultCache, tables *lake.TableCache, manifests *lake.ManifestCache, footers *lake.FooterCache, pages *lake.PageCache) *metrics {
	admitted := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_olap_admitted_total", Help: "Statements admitted to run, by lane.",
	}, []string{"lane"}))
	rejected := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_olap_rejected_total", Help: "Statements refused by admission control, by lane and reason (queue_full, queue_timeout, cancelled while queued).",
	}, []string{"lane", "reason"}))
	queued := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wharf_olap_queue_depth", Help: "Statements waiting for a slot, by lane.",
	}, []string{"lane"}))
	running := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wharf_olap_running", Help: "Statements running, by lane.",
	}, []string{"lane"}))
	result := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_olap_result_cache_total", Help: "Result cache lookups by outcome (hit, miss) and entries evicted for space (evict).",
	}, []string{"outcome"}))
	prepared := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_olap_prepared_total", Help: "SELECTs whose plan was reused (hit) or planned (miss).",
	}, []string{"outcome"}))
	m := &metrics{
		resultHits:      result.WithLabelValues("hit"),
		resultMisses:    result.WithLabelValues("miss"),
		resultEvictions: result.WithLabelValues("evict"),
		preparedHits:    prepared.WithLabelValues("hit"),
		preparedMisses:  prepared.WithLabelValues("miss"),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wharf_olap_statement_duration_seconds",
			Help:    "Statement latency inside the gate (queue wait included), by lane and result cache outcome (hit, miss, none).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}, []string{"lane", "cache"})),
	}
	for _, l := range []Lane{LaneSmall, LaneHeavy} {
		n := l.String()
		m.lanes[l] = &laneMetrics{
			admitted:     admitted.WithLabelValues(n),
			rejectedFull: rejected.WithLabelValues(n, "queue_full"),
			rejectedWait: rejected.WithLabelValues(n, "queue_timeout"),
			cancelled:    rejected.WithLabelValues(n, "cancelled"),
			queued:       queued.WithLabelValues(n),
			running:      running.WithLabelValues(n),
		}
		m.hitDuration[l] = m.duration.WithLabelValues(n, "hit")
	}
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wharf_olap_result_cache_bytes", Help: "Bytes held by the result cache.",
	}, func() float64 { b, _ := rc().lru.size(); return float64(b) }))
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wharf_olap_result_cache_entries", Help: "Results held by the result cache.",
	}, func() float64 { _, n := rc().lru.size(); return float64(n) }))
	for outcome, read := range map[string]func(lake.TableCacheStats) int64{
		"hit":   func(s lake.TableCacheStats) int64 { return s.Hits },
		"check": func(s lake.TableCacheStats) int64 { return s.Checks },
		"load":  func(s lake.TableCacheStats) int64 { return s.Loads },
	} {
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "wharf_olap_table_cache_total",
			Help:        "Table metadata lookups: served from memory (hit), confirmed current by a pointer read (check), loaded in full (load).",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, func() float64 { return float64(read(tables.Stats())) }))
	}
	registerCache(reg, "wharf_olap_manifest_cache", "Manifest lists and manifests a scan planned from: decoded before (hit), read and decoded (miss), dropped for space (evict).",
		"Approximate bytes of decoded manifests held.", manifests.Stats)
	registerCache(reg, "wharf_olap_footer_cache", "Parquet data files opened by the filter-first reader: parsed footer and page index held (hit), read and parsed (miss), dropped for space (evict).",
		"Approximate bytes of parsed Parquet footers, page indexes and bloom filters held.", footers.Stats)
	registerCache(reg, "wharf_olap_page_cache", "Parquet data pages the filter-first reader looked up: decoded before (hit), read and decoded whole (miss), dropped for space (evict).",
		"Bytes of the Arrow buffers of decoded pages held.", pages.Stats)
	for what, read := range map[string]func(lake.ReaderStats) int64{
		"row_groups":         func(s lake.ReaderStats) int64 { return s.RowGroups },
		"row_groups_skipped": func(s lake.ReaderStats) int64 { return s.RowGroupsSkipped },
		"row_groups_bloom":   func(s lake.ReaderStats) int64 { return s.RowGroupsBloomSkipped },
		"bloom_reads":        func(s lake.ReaderStats) int64 { return s.BloomReads },
		"bloom_errors":       func(s lake.ReaderStats) int64 { return s.BloomErrors },
		"pages":              func(s lake.ReaderStats) int64 { return s.Pages },
		"page_bytes":         func(s lake.ReaderStats) int64 { return s.PageBytes },
	} {
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "wharf_olap_filter_first_total",
			Help:        "Work of the filter-first reader of filtered scans: row groups read and skipped (by page index or bloom filter; row_groups_bloom of them by a bloom filter), bloom filters read from storage and found corrupt, pages decoded and their compressed bytes.",
			ConstLabels: prometheus.Labels{"what": what},
		}, func() float64 { return float64(read(lake.FilterFirstStats())) }))
	}
	return m
}

// registerCache registers a byte-bounded cache's name_total{outcome} and
// name_bytes.
func registerCache(reg prometheus.Registerer, name, help, bytesHelp string, stats func() lake.CacheStats) {
	for outcome, read := range map[string]func(lake.CacheStats) int64{
		"hit":   func(s lake.CacheStats) int64 { return s.Hits },
		"miss":  func(s lake.CacheStats) int64 { return s.Misses },
		"evict": func(s lake.CacheStats) int64 { return s.Evictions },
	} {
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: name + "_total", Help: help, ConstLabels: prometheus.Labels{"outcome": outcome},
		}, func() float64 { return float64(read(stats())) }))
	}
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name + "_bytes", Help: bytesHelp},
		func() float64 { return float64(stats().Bytes) }))
}

// register registers c, or returns the collector already registered under
// the same description (tests build several gates over one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("BUG: registering metric: " + err.Error())
	}
	return c
}
