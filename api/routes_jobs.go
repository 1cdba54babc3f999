package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/wharfdata/wharf/engine/runtime"
	"github.com/wharfdata/wharf/engine/session"
)

// Jobs is what the job routes control: the server's runtime.Manager.
type Jobs interface {
	Jobs() []runtime.Status
	Job(id string) (runtime.Status, error)
	Stop(ctx context.Context, id string) (runtime.Status, error)
	Start(ctx context.Context, id string) (runtime.Status, error)
}

// WithJobs serves /v1/jobs from j.
func WithJobs(j Jobs) Option { return func(s *Server) { s.jobs = j } }

// JobList is the body of GET /v1/jobs.
type JobList struct {
	Jobs []runtime.Status `json:"jobs"`
}

func (s *Server) handleListJobs(w http.ResponseWriter, _ *http.Request, _ Scope) {
	list := JobList{Jobs: []runtime.Status{}}
	if s.jobs != nil {
		list.Jobs = append(list.Jobs, s.jobs.Jobs()...)
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request, _ Scope) {
	s.jobAction(w, r, func(_ context.Context, id string) (runtime.Status, error) { return s.jobs.Job(id) })
}

// handleStopJob answers POST /v1/jobs/{id}/stop once the job has taken its
// final epoch and ended.
func (s *Server) handleStopJob(w http.ResponseWriter, r *http.Request, scope Scope) {
	if !s.canWrite(w, scope) {
		return
	}
	s.jobAction(w, r, func(ctx context.Context, id string) (runtime.Status, error) { return s.jobs.Stop(ctx, id) })
}

// handleResumeJob answers POST /v1/jobs/{id}/resume: the job continues
// from its last committed epoch.
func (s *Server) handleResumeJob(w http.ResponseWriter, r *http.Request, scope Scope) {
	if !s.canWrite(w, scope) {
		return
	}
	s.jobAction(w, r, func(ctx context.Context, id string) (runtime.Status, error) { return s.jobs.Start(ctx, id) })
}

func (s *Server) jobAction(w http.ResponseWriter, r *http.Request, do func(context.Context, string) (runtime.Status, error)) {
	id := r.PathValue("id")
	if s.jobs == nil {
		writeError(w, http.StatusNotFound, string(codeNotFound), "no such job: "+id, nil)
		return
	}
	st, err := do(r.Context(), id)
	if errors.Is(err, runtime.ErrNoSuchJob) {
		writeError(w, http.StatusNotFound, string(codeNotFound), err.Error(), nil)
		return
	}
	if err != nil {
		s.writeBackendError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) canWrite(w http.ResponseWriter, scope Scope) bool {
	if scope < ScopeWrite {
		writeError(w, http.StatusForbidden, string(session.CodeForbidden), "this token may only read", nil)
		return false
	}
	return true
}
