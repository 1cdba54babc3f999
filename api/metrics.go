package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	handler  http.Handler // serves /metrics
}

// newMetrics registers the HTTP metrics with reg, or with a private registry
// that also carries the Go and process collectors when reg is nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	var gatherer prometheus.Gatherer = prometheus.DefaultGatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg, gatherer = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gatherer = g
	}
	m := &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wharf_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"})),
		inflight: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wharf_http_requests_in_flight",
			Help: "HTTP requests being served.",
		})),
		handler: promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}),
	}
	return m
}

// register registers c, or returns the collector already registered under
// the same description (several servers may share one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("BUG: registering HTTP metrics: " + err.Error())
	}
	return c
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	if route != "unmatched" {
		m.duration.WithLabelValues(route, method).Observe(d.Seconds())
	}
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, _ Scope) {
	s.metrics.handler.ServeHTTP(w, r)
}

// methodLabel bounds the label's values: clients choose the method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	default:
		return "OTHER"
	}
}
